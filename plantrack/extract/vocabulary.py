"""The words of the plan genre the extractor recognises.

Measure words, the qualifiers a figure can carry (以上, 不少于, 控制在 …), the
verbs that say whether a figure is added during the year or a level reached,
stretch words (力争 …), words that look like a unit but are not (部门, 条件 …)
and the punctuation that ends a clause. Plain data: nothing here imports
anything first-party.
"""

from __future__ import annotations

import re

UNITS = (
    "个百分点",
    "个工作日",
    "平方米",
    "工作日",
    "人次",
    "家次",
    "户次",
    "项次",
    "场次",
    "批次",
    "亿元",
    "万元",
    "台套",
    "公里",
    "公顷",
    "千瓦",
    "兆瓦",
    "家",
    "项",
    "个",
    "支",
    "件",
    "人",
    "场",
    "次",
    "名",
    "所",
    "批",
    "元",
    "%",
    "位",
    "套",
    "台",
    "篇",
    "部",
    "座",
    "条",
    "户",
    "期",
    "亩",
    "吨",
    "起",
    "倍",
    "例",
    "款",
    "种",
    "艘",
    "辆",
    "处",
    "头",
    "架",
    "张",
    "美元",
    "千瓦",
)
# Units that statistics quote with their 万/亿 (亿元, 万亩, 万吨, 亿美元): the magnitude
# stays in the unit. Other counts (1.5万人次, 2万平方米) are multiplied out.
MAGNITUDE_UNITS = {"元": "万亿", "美元": "万亿", "亩": "万", "吨": "万亿", "头": "万", "千瓦": "万亿"}
UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
SUFFIXES = ("及以上", "以上", "以下", "以内", "左右", "上下")

# A unit followed by these characters is part of another word (部门, 条件 …).
NOT_A_UNIT = (
    "部门",
    "部分",
    "部署",
    "条件",
    "条例",
    "期间",
    "名单",
    "名称",
    "名牌",
    "次要",
    "次性",
    "所属",
    "户籍",
    "台账",
    "支持",
    "支撑",
    "支出",
    "支付",
    "种植",
    "起步",
    "起来",
    "起点",
    "起草",
    "批准",
    "批复",
    "家庭",
    "元素",
    "位于",
    "位居",
    "例如",
    "处理",
    "处置",
    "处室",
    "处于",
    "处罚",
    "处级",
    "头部",
    "张贴",
)
# Chinese "一" + these is a vague quantifier, never a target (一批, 一系列 …).
VAGUE_ONE = ("批", "些", "系列", "起", "种", "大批", "揽子")
# Characters right before a Chinese numeral that make it vague (数十家, 几个).
VAGUE_BEFORE_CN = "数几每第"

SUFFIX_QUALIFIER = {
    "及以上": "min",
    "以上": "min",
    "以下": "max",
    "以内": "max",
    "左右": "approx",
    "上下": "approx",
}
# (keyword, qualifier, max chars allowed between keyword and number)
PREFIX_KEYWORDS = (
    ("不少于", "min", 6),
    ("不低于", "min", 6),
    ("至少", "min", 6),
    ("超过", "min", 6),
    ("突破", "min", 6),
    ("达到", "min", 6),
    ("高于", "min", 6),
    ("多于", "min", 6),
    ("大于", "min", 6),
    ("确保", "min", 6),
    ("超", "min", 0),
    ("逾", "min", 0),
    ("达", "min", 0),
    ("控制在", "max", 6),
    ("不超过", "max", 6),
    ("不高于", "max", 6),
    ("低于", "max", 6),
    ("少于", "max", 6),
    ("小于", "max", 6),
    ("不多于", "max", 6),
    ("压缩至", "max", 6),
    ("压缩到", "max", 6),
    ("压减至", "max", 6),
    ("降至", "max", 6),
    ("降到", "max", 6),
    ("约", "approx", 0),
    ("近", "approx", 0),
    ("大约", "approx", 0),
)
# Words ending in a one-character keyword that are not that keyword (签约 ≠ 约).
COMPOUNDS = (
    "签约",
    "节约",
    "制约",
    "合约",
    "履约",
    "特约",
    "预约",
    "邀约",
    "接近",
    "最近",
    "附近",
    "邻近",
    "就近",
    "赶超",
    "到达",
    "下达",
    "送达",
    "直达",
    "抵达",
    "通达",
    "传达",
    "表达",
)
INCREASE_WORDS = ("增长", "提高", "提升", "增加", "上升", "增幅", "增速", "增")
DECREASE_WORDS = ("下降", "降低", "减少", "压减", "缩减")
GROWTH_RATE_WORDS = ("增速", "增幅", "增长率")
LEVEL_WORDS = (
    "提高到",
    "提高至",
    "提升到",
    "提升至",
    "增加到",
    "增加至",
    "增长到",
    "增长至",
    "达到",
    "稳定在",
    "保持在",
    "控制在",
    "占",
    "比重",
    "占比",
    "比例",
    "率",
    "为",
)
QUANTITY_VERBS = (
    "新增",
    "新建",
    "新认定",
    "新培育",
    "新引进",
    "建设",
    "建成",
    "培育",
    "引进",
    "打造",
    "认定",
    "举办",
    "开展",
    "组织",
    "组建",
    "设立",
    "创建",
    "争创",
    "布局",
    "实施",
    "支持",
    "完成",
    "招引",
    "签订",
    "达成",
    "发布",
    "形成",
    "开发",
    "获批",
    "获得",
    "推出",
    "培训",
    "选派",
    "遴选",
    "筛选",
    "落地",
    "转化",
    "孵化",
    "推介",
    "吸引",
    "征集",
    "服务",
    "走访",
    "提供",
    "建立",
    "储备",
    "入驻",
    "申报",
    "立项",
    "资助",
    "扶持",
    "奖励",
    "评选",
    "促成",
    "解决",
    "培养",
    "招聘",
    "引育",
    "备案",
    "登记",
    "签约",
    "产出",
    "共建",
    "举行",
    "召开",
    "改造",
    "改建",
    "新设",
    "接待",
    "推广",
    "融资",
    "减负",
    "确保",
    "力争",
    "累计",
    "共",
    "各",
    "分别",
)
# Verbs of doing or adding during the year: the figure is a flow.
_NOT_FLOW = ("确保", "力争", "累计", "共", "各", "分别")
FLOW_VERBS = tuple(v for v in QUANTITY_VERBS if v not in _NOT_FLOW)
STRETCH_WORDS = ("力争", "争取", "冲刺", "努力")
DESCRIPTIVE_RE = re.compile(
    r"(?:对|依托|围绕|针对|面向|聚焦|按照|根据|与|从|(?<!稳定|保持|控制|维持|集中)在|向)"
    r"(?:全市|全县|全区|全省|辖区内?|区内|市内|县内|现有|已有|已认定的?|首批)?$"
)
PER_CAPITA_RE = re.compile(r"每(?:十万|百万|万|千|百)")
PER_OTHER_RE = re.compile(r"每(?!年|十万|百万|万|千|百)")

# Words before a figure that give a project's size, not a target (年产能20GWh, 达产后年产值…).
CAPACITY_WORDS = (
    "年产能",
    "设计产能",
    "年加工能力",
    "年处理能力",
    "年产",
    "达产后",
    "建成后",
    "投产后",
    "满产后",
)

STOCK_WORDS = ("累计", "总数", "总量", "保有量", "存量", "总规模", "存栏", "拥有量")
# Nouns of a level held through the year (播种面积稳定在…, 务工规模…) unless a flow verb says added.
LEVEL_NOUNS = ("面积", "规模")
# Annual totals (营业收入, 成交额, 产量 …): what the year adds up, a flow.
FLOW_NOUNS = ("收入", "零售额", "交易额", "成交额", "进出口", "产值", "产量", "出栏", "投资", "外资", "内资")
LEVEL_VERBS = ("达到", "突破", "超过", "稳定在", "保持在", "提高到", "提升到")
ENTITY_UNITS = frozenset(
    ("家", "个", "所", "名", "人", "支", "位", "座", "户", "台", "套", "台(套)", "台套", "件", "项")
)
RATIO_UNITS = frozenset(("%", "个百分点", "倍"))
# Size units that, before a noun, describe it (500万元以上项目, 超10亿元企业).
THRESHOLD_UNITS = frozenset(("亿元", "万元", "元", "平方米", "亩", "吨", "公里", "%"))
DURATION_UNITS = frozenset(("个工作日", "工作日"))

CLAUSE_PUNCT = "，,：:。；;！？!?\n"
SENTENCE_PUNCT = "。；;！？!?\n"
ASIDE_RE = re.compile(r"\((?=其中|含|包括)")
QUOTE_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〔": "〕", "【": "】"}

NAME_LEADING = (
    "其中",
    "争取",
    "力争",
    "确保",
    "努力",
    "全年",
    "年内",
    "今年",
    "全市",
    "全县",
    "全区",
    "到年底",
    "年底前",
    "并",
    "同时",
    "另外",
    "此外",
    "再",
    "以",
)
NAME_TRAILING = tuple(
    sorted(
        {k for k, _, _ in PREFIX_KEYWORDS}
        | {"分别达到", "稳定在", "保持在", "力争", "累计", "各", "分别"}
        | {w for w in LEVEL_WORDS if len(w) == 3},
        key=len,
        reverse=True,
    )
)
# Dates and sub-task markers in front of a name (2024年新增…, 一是全年…, 到2025年底).
NAME_PREFIX_RE = re.compile(r"^(?:[一二三四五六七八九十]+是|(?:到|至)?\d{4}年(?:底|末|内|度)?(?:前)?)[，,]?")
# Leading verbs of a shared subject list (推动A、B分别达到…).
SUBJECT_LEADING = ("推动", "推进", "促进", "实现", "确保", "力争", "争取", "努力")
# “A、B两大产业集群营业收入分别…”: the words after the count are shared by A and B.
SHARED_TAIL_RE = re.compile(r"(?:[两二三四五六七八九十][大项个]|等)")
LEVEL_ONLY_RE = re.compile(r"(?:其中)?(?:国家|省|市|县|区)级(?:及)?(?:以上)?")
NAME_TAIL_STOP = re.compile(r"(?:在|到|纳入|参与|为|以|，|、|；|。)")
MILESTONE_ADVERBS = (
    "高水平",
    "进一步",
    "持续",
    "积极",
    "深入",
    "大力",
    "着力",
    "切实",
    "扎实",
    "全力",
    "加快",
)
