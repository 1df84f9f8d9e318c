"""The resource catalog (政务信息资源目录): what each department holds, and on what terms."""
