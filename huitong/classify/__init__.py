"""Classification and grading (分类分级) and personal-data discovery (个人信息识别): GB/T 43697 §7.2."""
