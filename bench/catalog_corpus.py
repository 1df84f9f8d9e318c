"""Synthetic but realistic 政务信息资源目录 entries for one province, for benchmarks and tests.

A province (湖南省) with ~60 departments at 省/市/县 level; resource names combine each
agency's real data sets with region, year and form qualifiers, so names are mostly
distinct but share vocabulary the way real catalogs do. Facet values follow the skew seen
in published catalogs (most entries 部门类, shared but not opened, database format).
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import accumulate

PROVINCE = "湖南省"
CITIES = {
    "长沙市": ["芙蓉区", "天心区", "岳麓区", "开福区", "雨花区", "望城区", "长沙县", "浏阳市", "宁乡市"],
    "株洲市": ["荷塘区", "芦淞区", "石峰区", "天元区", "渌口区", "攸县", "茶陵县", "醴陵市"],
    "湘潭市": ["雨湖区", "岳塘区", "湘潭县", "湘乡市", "韶山市"],
    "衡阳市": ["珠晖区", "雁峰区", "石鼓区", "蒸湘区", "衡阳县", "衡南县", "衡山县", "耒阳市", "常宁市"],
    "邵阳市": ["双清区", "大祥区", "北塔区", "邵东市", "新邵县", "隆回县", "武冈市"],
    "岳阳市": ["岳阳楼区", "云溪区", "君山区", "岳阳县", "华容县", "湘阴县", "平江县", "汨罗市", "临湘市"],
    "常德市": ["武陵区", "鼎城区", "安乡县", "汉寿县", "澧县", "临澧县", "桃源县", "石门县", "津市市"],
    "张家界市": ["永定区", "武陵源区", "慈利县", "桑植县"],
    "益阳市": ["资阳区", "赫山区", "南县", "桃江县", "安化县", "沅江市"],
    "郴州市": ["北湖区", "苏仙区", "桂阳县", "宜章县", "永兴县", "嘉禾县", "资兴市"],
    "永州市": ["零陵区", "冷水滩区", "东安县", "双牌县", "道县", "江永县", "宁远县", "祁阳市"],
    "怀化市": ["鹤城区", "中方县", "沅陵县", "辰溪县", "溆浦县", "会同县", "洪江市"],
    "娄底市": ["娄星区", "双峰县", "新化县", "冷水江市", "涟源市"],
    "湘西土家族苗族自治州": ["吉首市", "泸溪县", "凤凰县", "花垣县", "保靖县", "古丈县", "永顺县", "龙山县"],
}

# agency key -> (provincial name, city/county name pattern, resource bases, item names, tags)
AGENCIES: dict[str, tuple[str, str, list[str], list[str], list[str]]] = {
    "police": (
        "公安厅",
        "公安局",
        [
            "常住人口户籍信息",
            "流动人口登记信息",
            "居住证办理信息",
            "户口迁移登记信息",
            "出生登记信息",
            "死亡注销户口信息",
            "机动车登记信息",
            "驾驶证信息",
            "交通违法处理信息",
            "居民身份证办理信息",
            "户籍人口信息表",
            "重点单位治安信息",
            "出入境证件办理信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "性别",
            "民族",
            "出生日期",
            "户籍地址",
            "户主姓名",
            "与户主关系",
            "曾用名",
            "婚姻状况",
            "文化程度",
            "服务处所",
            "迁入日期",
            "迁出地址",
            "车牌号码",
            "车辆识别代号",
            "准驾车型",
            "违法行为",
            "处理机关",
            "居住地址",
            "证件有效期",
        ],
        ["户籍", "人口", "证照", "交通", "基础库"],
    ),
    "civil": (
        "民政厅",
        "民政局",
        [
            "低保对象名单",
            "特困人员救助供养信息",
            "婚姻登记信息",
            "殡葬火化信息",
            "社会组织登记信息",
            "临时救助信息",
            "困境儿童信息",
            "高龄津贴发放信息",
            "行政区划代码信息",
            "养老机构信息",
            "低保边缘家庭信息",
            "孤儿基本生活保障信息",
            "慈善组织认定信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "家庭人口数",
            "保障金额",
            "救助金额",
            "发放日期",
            "银行账号",
            "开户银行",
            "行政区划代码",
            "登记日期",
            "结婚证字号",
            "社会组织名称",
            "统一社会信用代码",
            "法定代表人",
            "住所",
            "火化日期",
            "认定日期",
            "保障类别",
            "户主姓名",
        ],
        ["社会救助", "民生", "低保", "婚姻", "养老"],
    ),
    "hrss": (
        "人力资源和社会保障厅",
        "人力资源和社会保障局",
        [
            "社会保险参保信息",
            "养老保险待遇发放信息",
            "失业登记信息",
            "就业登记信息",
            "职业资格证书信息",
            "职业技能等级证书信息",
            "劳动仲裁案件信息",
            "工伤认定信息",
            "社保卡发放信息",
            "失业保险金领取信息",
            "企业职工养老保险缴费信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "社会保障号码",
            "参保状态",
            "参保日期",
            "缴费基数",
            "单位名称",
            "统一社会信用代码",
            "待遇金额",
            "证书编号",
            "职业名称",
            "技能等级",
            "发证日期",
            "失业原因",
            "就业单位",
            "工伤等级",
            "社保卡号",
        ],
        ["社保", "就业", "社会保障", "人社", "民生"],
    ),
    "market": (
        "市场监督管理局",
        "市场监督管理局",
        [
            "企业登记注册信息",
            "营业执照信息",
            "个体工商户登记信息",
            "经营异常名录信息",
            "严重违法失信名单",
            "行政处罚信息",
            "食品经营许可信息",
            "特种设备登记信息",
            "双随机抽查结果信息",
            "商标注册信息",
            "市场主体年报信息",
            "药品经营许可信息",
            "计量器具检定信息",
        ],
        [
            "统一社会信用代码",
            "企业名称",
            "法定代表人",
            "注册地址",
            "注册资本",
            "成立日期",
            "经营范围",
            "企业类型",
            "登记机关",
            "核准日期",
            "经营状态",
            "许可证编号",
            "有效期至",
            "处罚决定书文号",
            "处罚内容",
            "列入日期",
            "列入原因",
            "设备类别",
            "抽查结果",
        ],
        ["市场主体", "信用", "证照", "监管", "营商环境"],
    ),
    "health": (
        "卫生健康委员会",
        "卫生健康局",
        [
            "医疗机构执业许可信息",
            "医师执业注册信息",
            "护士执业注册信息",
            "出生医学证明信息",
            "死亡医学证明信息",
            "预防接种信息",
            "传染病报告信息",
            "居民健康档案信息",
            "母婴保健服务信息",
        ],
        [
            "医疗机构名称",
            "登记号",
            "执业地址",
            "诊疗科目",
            "床位数",
            "法定代表人",
            "姓名",
            "公民身份号码",
            "执业类别",
            "执业范围",
            "出生日期",
            "出生地点",
            "母亲姓名",
            "父亲姓名",
            "疫苗名称",
            "接种日期",
            "死亡原因",
            "死亡日期",
            "证明编号",
        ],
        ["医疗卫生", "健康", "证照", "出生", "民生"],
    ),
    "edu": (
        "教育厅",
        "教育局",
        [
            "学籍信息",
            "学位证书信息",
            "毕业证书信息",
            "教师资格证信息",
            "幼儿园办学许可信息",
            "中小学校基本信息",
            "招生考试成绩信息",
            "学生资助信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "学籍号",
            "学校名称",
            "入学年份",
            "年级",
            "班级",
            "证书编号",
            "毕业日期",
            "学位类别",
            "资格种类",
            "任教学科",
            "办学地址",
            "资助金额",
        ],
        ["教育", "学生", "证照", "民生"],
    ),
    "tax": (
        "税务局",
        "税务局",
        [
            "纳税人登记信息",
            "纳税信用等级信息",
            "增值税发票信息",
            "欠税公告信息",
            "个人所得税纳税信息",
            "重大税收违法失信案件信息",
            "税收完税证明信息",
        ],
        [
            "纳税人识别号",
            "纳税人名称",
            "统一社会信用代码",
            "法定代表人",
            "登记日期",
            "信用等级",
            "评价年度",
            "发票代码",
            "发票号码",
            "开票日期",
            "金额",
            "税额",
            "欠税金额",
            "税款所属期",
        ],
        ["税务", "信用", "企业", "纳税"],
    ),
    "land": (
        "自然资源厅",
        "自然资源和规划局",
        [
            "不动产登记信息",
            "不动产权证书信息",
            "建设用地规划许可信息",
            "国有土地使用权出让信息",
            "宅基地审批信息",
            "地质灾害隐患点信息",
            "林权登记信息",
            "耕地保护目标责任信息",
        ],
        [
            "不动产单元号",
            "不动产权证号",
            "权利人",
            "坐落",
            "面积",
            "用途",
            "权利类型",
            "登记日期",
            "宗地代码",
            "出让金额",
            "规划许可证号",
            "隐患点编号",
            "经度",
            "纬度",
            "威胁人数",
        ],
        ["不动产", "自然资源", "土地", "规划"],
    ),
    "housing": (
        "住房和城乡建设厅",
        "住房和城乡建设局",
        [
            "建筑工程施工许可信息",
            "竣工验收备案信息",
            "商品房预售许可信息",
            "房屋租赁备案信息",
            "保障性住房分配信息",
            "建筑业企业资质信息",
            "物业服务企业信息",
        ],
        [
            "项目名称",
            "建设单位",
            "施工单位",
            "许可证编号",
            "建筑面积",
            "合同价格",
            "发证日期",
            "预售面积",
            "承租人姓名",
            "公民身份号码",
            "房屋坐落",
            "资质等级",
            "统一社会信用代码",
        ],
        ["住房", "城乡建设", "许可", "房地产"],
    ),
    "transport": (
        "交通运输厅",
        "交通运输局",
        [
            "道路运输经营许可信息",
            "网约车驾驶员证信息",
            "公路养护信息",
            "客运班线信息",
            "道路运输从业人员信息",
        ],
        [
            "经营者名称",
            "经营许可证号",
            "经营范围",
            "车牌号码",
            "姓名",
            "公民身份号码",
            "从业资格证号",
            "线路名称",
            "起讫地点",
            "路线编号",
            "养护里程",
        ],
        ["交通", "运输", "许可"],
    ),
    "agri": (
        "农业农村厅",
        "农业农村局",
        [
            "农业补贴发放信息",
            "土地承包经营权确权信息",
            "动物防疫信息",
            "农机购置补贴信息",
            "渔船登记信息",
            "家庭农场名录信息",
            "农民专业合作社信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "补贴金额",
            "补贴类型",
            "发放日期",
            "承包地块编码",
            "承包面积",
            "合同编号",
            "养殖场名称",
            "免疫数量",
            "机具品目",
            "渔船编号",
            "船长",
        ],
        ["农业", "惠民惠农", "乡村振兴"],
    ),
    "env": (
        "生态环境厅",
        "生态环境局",
        [
            "排污许可证信息",
            "空气质量监测数据",
            "水质监测数据",
            "环境影响评价审批信息",
            "危险废物经营许可信息",
            "环境行政处罚信息",
        ],
        [
            "单位名称",
            "统一社会信用代码",
            "许可证编号",
            "行业类别",
            "排放口编号",
            "监测时间",
            "监测点位",
            "二氧化硫",
            "氮氧化物",
            "PM2.5",
            "PM10",
            "化学需氧量",
            "氨氮",
            "审批文号",
        ],
        ["生态环境", "监测", "许可"],
    ),
    "medins": (
        "医疗保障局",
        "医疗保障局",
        [
            "基本医疗保险参保信息",
            "医保定点医药机构信息",
            "医疗救助信息",
            "医保结算明细信息",
            "长期护理保险待遇信息",
        ],
        [
            "姓名",
            "公民身份号码",
            "参保类型",
            "参保状态",
            "定点机构名称",
            "机构编码",
            "结算日期",
            "医疗费用总额",
            "统筹支付金额",
            "个人负担金额",
            "救助金额",
        ],
        ["医保", "医疗保障", "民生"],
    ),
    "veteran": (
        "退役军人事务厅",
        "退役军人事务局",
        ["退役军人信息", "优抚对象信息", "烈士褒扬信息"],
        ["姓名", "公民身份号码", "入伍时间", "退役时间", "优抚类别", "抚恤金额", "安置方式"],
        ["退役军人", "优抚"],
    ),
    "emergency": (
        "应急管理厅",
        "应急管理局",
        ["安全生产许可信息", "自然灾害灾情信息", "应急物资储备信息", "危险化学品经营许可信息"],
        [
            "企业名称",
            "统一社会信用代码",
            "许可证编号",
            "有效期至",
            "灾害种类",
            "受灾人口",
            "直接经济损失",
            "物资名称",
            "储备数量",
        ],
        ["应急管理", "安全生产", "自然灾害"],
    ),
    "fund": (
        "住房公积金管理中心",
        "住房公积金管理中心",
        ["住房公积金缴存信息", "住房公积金贷款信息", "住房公积金提取信息"],
        [
            "姓名",
            "公民身份号码",
            "单位名称",
            "缴存基数",
            "月缴存额",
            "账户余额",
            "贷款金额",
            "贷款期限",
            "提取原因",
        ],
        ["公积金", "住房"],
    ),
    "disabled": (
        "残疾人联合会",
        "残疾人联合会",
        ["残疾人证信息", "残疾人康复服务信息", "残疾人两项补贴信息"],
        ["姓名", "公民身份号码", "残疾类别", "残疾等级", "残疾人证号", "发证日期", "补贴金额"],
        ["残疾人", "民生", "社会救助"],
    ),
    "justice": (
        "司法厅",
        "司法局",
        ["律师执业信息", "公证机构信息", "法律援助案件信息", "人民调解组织信息"],
        ["姓名", "执业证号", "执业机构", "公证处名称", "案件编号", "受援人姓名", "援助事项"],
        ["司法", "法律服务"],
    ),
    "finance": (
        "财政厅",
        "财政局",
        ["财政预算公开信息", "政府采购合同信息", "惠民惠农补贴资金发放信息"],
        ["项目名称", "预算金额", "采购单位", "供应商名称", "合同金额", "签订日期", "资金名称", "发放对象"],
        ["财政", "政府采购", "惠民惠农"],
    ),
    "stats": (
        "统计局",
        "统计局",
        ["统计调查数据", "人口普查数据", "经济普查数据", "居民消费价格指数"],
        ["指标名称", "统计期", "数值", "计量单位", "行政区划代码", "常住人口", "户籍人口"],
        ["统计", "人口", "经济"],
    ),
    "data": (
        "数据局",
        "数据资源局",
        [
            "电子证照目录信息",
            "政务服务事项信息",
            "政务服务好差评数据",
            "公共数据开放目录",
            "一网通办办件信息",
        ],
        [
            "证照名称",
            "证照编号",
            "持证主体",
            "发证机构",
            "事项名称",
            "事项编码",
            "办理时限",
            "评价等级",
            "评价时间",
            "办件编号",
            "受理时间",
        ],
        ["政务服务", "数据共享", "一网通办", "电子证照"],
    ),
    "water": (
        "水利厅",
        "水利局",
        ["河长制工作信息", "水资源取水许可信息", "水利工程基本信息"],
        ["河流名称", "河长姓名", "取水许可证号", "取水量", "工程名称", "所在地"],
        ["水利", "河长制", "生态环境"],
    ),
}

PURPOSES = [
    "政务服务办理",
    "社会救助对象核查",
    "市场监管执法",
    "人口统计分析",
    "惠民惠农资金发放核验",
    "信用体系建设",
    "一网通办身份核验",
    "跨部门业务协同",
    "基层治理",
    "应急指挥调度",
    "政策精准推送",
]
FORMS = ["", "", "", "", "明细", "汇总表", "统计表", "名单", "核验接口", "查询接口", "目录", "台账"]
CYCLE_ZH = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "half_yearly": "每半年",
    "yearly": "每年",
    "irregular": "不定期",
}


class _Weighted:
    """Fast repeated weighted choice (cumulative weights computed once)."""

    def __init__(self, weighted: dict):
        self.values = list(weighted)
        self.cum = list(accumulate(weighted.values()))

    def __call__(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum)[0]


CYCLE = _Weighted(
    {
        "realtime": 15,
        "daily": 20,
        "weekly": 5,
        "monthly": 20,
        "quarterly": 10,
        "half_yearly": 3,
        "yearly": 15,
        "irregular": 12,
    }
)
SHARE = _Weighted({"unconditional": 50, "conditional": 40, "none": 10})
OPEN = _Weighted({"none": 55, "conditional": 25, "unconditional": 20})
FORMAT = _Weighted(
    {
        "database": 45,
        "spreadsheet": 20,
        "service": 15,
        "file": 12,
        "image": 4,
        "self_describing": 3,
        "stream": 1,
    }
)
CATEGORY = _Weighted({("部门",): 60, ("基础", "部门"): 15, ("主题", "部门"): 20, ("基础", "主题", "部门"): 5})
STATUS = _Weighted({"published": 75, "draft": 10, "submitted": 6, "returned": 3, "retired": 6})


def departments(seed: int = 7) -> list[dict]:
    """~60 departments: provincial agencies, their counterparts in some cities and counties."""
    rng = random.Random(seed)
    keys = list(AGENCIES)
    out = [
        {"agency": k, "level": "province", "region": PROVINCE, "name": PROVINCE + AGENCIES[k][0]}
        for k in keys
    ]
    cities = list(CITIES)
    for k in [
        "police",
        "civil",
        "hrss",
        "market",
        "health",
        "land",
        "medins",
        "tax",
        "edu",
        "data",
        "police",
        "civil",
        "market",
        "hrss",
        "housing",
        "agri",
        "fund",
        "police",
        "env",
        "transport",
    ]:
        city = rng.choice(cities)
        name = city + AGENCIES[k][1]
        if any(d["name"] == name for d in out):
            city = rng.choice(cities)
            name = city + AGENCIES[k][1]
        out.append({"agency": k, "level": "city", "region": city, "name": name})
    for k in [
        "police",
        "civil",
        "hrss",
        "market",
        "civil",
        "agri",
        "health",
        "police",
        "land",
        "medins",
        "edu",
        "market",
        "disabled",
        "civil",
        "agri",
        "police",
        "hrss",
    ]:
        city = rng.choice(cities)
        county = rng.choice(CITIES[city])
        out.append(
            {"agency": k, "level": "county", "region": county, "name": county + AGENCIES[k][1], "city": city}
        )
    for i, d in enumerate(out, start=1):
        d["id"] = i
    return out


def generate_resources(n: int, seed: int = 7) -> Iterator[dict]:
    """``n`` catalog entries (see module docstring); keys as the search benchmark expects."""
    rng = random.Random(seed)
    depts = departments(seed)
    # Busy agencies (公安, 市场监管, 民政, 人社) publish far more; provincial ones more than counties.
    pick_dept = _Weighted(
        {
            i: (3.0 if d["agency"] in ("police", "market", "civil", "hrss") else 1.0)
            * {"province": 2.0, "city": 1.2, "county": 0.6}[d["level"]]
            for i, d in enumerate(depts)
        }
    )
    for _ in range(n):
        d = depts[pick_dept(rng)]
        _, _, bases, items, tags = AGENCIES[d["agency"]]
        base = rng.choice(bases)
        if d["level"] == "province":
            region = rng.choice([PROVINCE, PROVINCE, rng.choice(list(CITIES))])
        elif d["level"] == "city":
            region = rng.choice([d["region"], d["region"], rng.choice(CITIES[d["region"]])])
        else:
            region = d["region"]
        year = rng.choice(
            [
                "",
                f"{rng.randint(2016, 2025)}年",
                f"{rng.randint(2016, 2025)}年",
                f"{rng.randint(2019, 2025)}年度",
            ]
        )
        period = (
            rng.choice(
                [
                    "",
                    "",
                    "",
                    "",
                    "第一季度",
                    "第二季度",
                    "第三季度",
                    "第四季度",
                    "上半年",
                    f"{rng.randint(1, 12)}月",
                ]
            )
            if year
            else ""
        )
        form = rng.choice(FORMS)
        name = f"{region}{year}{period}{base}{form}"
        item_names = rng.sample(items, k=min(len(items), rng.randint(3, 15)))
        cycle, share, fmt = CYCLE(rng), SHARE(rng), FORMAT(rng)
        opened = "none" if share == "none" else OPEN(rng)
        category, status = CATEGORY(rng), STATUS(rng)
        purpose = rng.choice(PURPOSES)
        summary = (
            f"{d['name']}归集的{region}{base.removesuffix('信息')}数据，包括"
            f"{'、'.join(item_names[:4])}等{len(item_names)}个信息项，{CYCLE_ZH[cycle]}更新，"
            f"主要用于{purpose}。"
        )
        if rng.random() < 0.3:
            summary += rng.choice(
                [
                    "数据来源于业务系统，经脱敏后共享。",
                    "按照国家标准进行编码。",
                    "涉及个人信息，按有条件共享方式提供。",
                    "已接入省级共享交换平台。",
                ]
            )
        yield {
            "name": name,
            "summary": summary,
            "tags": tuple(rng.sample(tags, k=min(len(tags), rng.randint(1, 3)))),
            "item_names": tuple(item_names),
            "provider_name": d["name"],
            "department_id": d["id"],
            "level": d["level"],
            "category": category,
            "share_type": share,
            "open_type": opened,
            "format": fmt,
            "update_cycle": cycle,
            "status": status,
        }
