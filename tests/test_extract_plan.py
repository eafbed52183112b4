"""Plan-text extractor: structure, targets, qualifiers, file reading, 2021 recall."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from plantrack.extract import (
    PlanTextError,
    extract_catalog,
    extract_indicators,
    parse_structure,
    read_plan_text,
)

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "expectations" / "plans" / "2021" / "plan.txt"
CURATED = REPO / "expectations" / "plans" / "2021" / "catalog.toml"


def one(text: str) -> dict:
    """The single indicator found in a phrase."""
    found = extract_indicators(text)
    assert len(found) == 1, [(f["target"], f["unit"], f["text"]) for f in found]
    return found[0]


def summary(text: str) -> list[tuple]:
    return [(f["target"], f["unit"], f["qualifier"]) for f in extract_indicators(text)]


# --------------------------------------------------------------------------
# Numerals in context
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "target", "unit"),
    [
        ("全年新增高新技术企业十五家。", 15, "家"),
        ("建设两个省级临床医学研究中心。", 2, "个"),
        ("征集成果1万件以上。", 10_000, "件"),
        ("培训各类人才2.5万人次。", 25_000, "人次"),
        ("签订产学研合作协议一百项。", 100, "项"),
        ("规上工业企业数量达到1,200家。", 1200, "家"),
        ("实施工业技改项目１２００个以上。", 1200, "个"),
        ("园区总产值突破1.5亿元。", 1.5, "亿元"),
        ("兑现人才扶持资金800万元。", 800, "万元"),
        ("争取全年新增投资二十三点八九亿元。", 23.89, "亿元"),
        ("推动产业集群规模突破千亿元。", 1000, "亿元"),
        ("培训企业负责人两千名。", 2000, "名"),
        ("建成两个省级平台。", 2, "个"),
        ("建设10个AI开放创新平台。", 10, "个"),
        ("入库企业数达1100家。", 1100, "家"),
        ("排查整改隐患100处以上。", 100, "处"),
    ],
)
def test_numerals_in_context(phrase: str, target: float, unit: str) -> None:
    found = one(phrase)
    assert found["target"] == pytest.approx(target)
    assert found["unit"] == unit


# --------------------------------------------------------------------------
# Ranges, floors and stretches
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "low", "high", "unit"),
    [
        ("新建1-2支产业基金。", 1, 2, "支"),
        ("设计布局3至5个市级创新创业共同体。", 3, 5, "个"),
        ("争创省级特色产业集群3～5个。", 3, 5, "个"),
        ("争创国家级专精特新企业三到五个。", 3, 5, "个"),
        ("新建县级以上企业研发中心三至五个。", 3, 5, "个"),
        ("新增省级以上研发平台8至10家。", 8, 10, "家"),
    ],
)
def test_ranges(phrase: str, low: float, high: float, unit: str) -> None:
    found = one(phrase)
    assert (found["target"], found["range_max"], found["unit"]) == (low, high, unit)
    assert found["qualifier"] == "range"
    assert found["stretch"] is None


def test_floor_and_stretch_in_one_sentence() -> None:
    text = "全年国家科技型中小企业确保达到1200家以上，力争突破1500家以上。"
    found = one(text)
    assert (found["target"], found["stretch"], found["qualifier"]) == (1200, 1500, "min")
    assert found["text"] == text[:-1]
    assert found["name"] == "国家科技型中小企业"
    assert found["cumulative"] is True


def test_floor_and_stretch_with_ascii_comma_and_dun() -> None:
    assert one("年内高新技术企业确保达到800家以上,力争突破1000家以上。")["stretch"] == 1000
    found = one("全年入库科技型中小企业确保150家、力争180家。")
    assert (found["target"], found["stretch"], found["qualifier"]) == (150, 180, "min")


def test_force_alone_is_not_a_stretch() -> None:
    found = one("力争全年获批省级科技创新项目20项以上。")
    assert (found["target"], found["stretch"], found["qualifier"]) == (20, None, "min")


def test_stretch_needs_the_same_unit_and_sentence() -> None:
    assert len(extract_indicators("确保新增企业10家。力争新增投资5亿元。")) == 2


# --------------------------------------------------------------------------
# Qualifiers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("新增省级技术转移服务机构3家以上。", "min"),
        ("全年新增高新技术企业不少于25家。", "min"),
        ("培育技术经纪人不低于30名。", "min"),
        ("入驻科技型企业超过40家。", "min"),
        ("园区总产值突破1.5亿元。", "min"),
        ("入驻企业总数达到35家。", "min"),
        ("组织专家服务基层40余人次。", "min"),
        ("探索布局建设3家左右分站。", "approx"),
        ("柔性引进外籍专家约40名。", "approx"),
        ("安全生产事故控制在5起以内。", "max"),
        ("新增债务不超过2亿元。", "max"),
        ("形成新产品500个。", "exact"),
        ("以139项全市重点科技创新项目为抓手。", "exact"),
        ("提供24项专业化服务。", "exact"),
        ("实现产学研合作签约100项。", "exact"),
        ("入库企业数达1100家。", "min"),
    ],
)
def test_qualifiers(phrase: str, qualifier: str) -> None:
    assert one(phrase)["qualifier"] == qualifier


@pytest.mark.parametrize(
    ("phrase", "target", "unit"),
    [
        ("全市高新技术产业产值占比再提高1个百分点。", 1, "个百分点"),
        ("研发投入强度提高0.5个百分点。", 0.5, "个百分点"),
        ("投资额同比增长15%以上。", 15, "%"),
        ("软件业务收入增长15%。", 15, "%"),
        ("同比增长百分之二十以上。", 20, "%"),
        ("财政科技支出较上年翻一番。", 100, "%"),
        ("技术合同成交额翻两番。", 300, "%"),
        ("单位工业增加值能耗下降3.5%。", -3.5, "%"),
        ("产值增长1倍。", 100, "%"),
        ("数字经济增速保持在8%以上。", 8, "%"),
        ("营业收入、利润分别增长10%、8%。", 8, "%"),
    ],
)
def test_increases(phrase: str, target: float, unit: str) -> None:
    found = extract_indicators(phrase)[-1]
    assert (found["target"], found["unit"], found["qualifier"]) == (
        pytest.approx(target),
        unit,
        "increase_by",
    )
    assert found["additive"] is False
    assert found["pacing"] == "year_end"
    assert found["cumulative"] is False


@pytest.mark.parametrize(
    ("phrase", "target", "qualifier"),
    [
        ("“专精特新”企业占比达到3%。", 3, "share"),
        ("研发投入占GDP的比重稳定在2.3%左右。", 2.3, "approx"),
        ("R&D经费投入占GDP比重达到4.2%以上。", 4.2, "share"),
        ("有研发机构的企业占比提高到55%。", 55, "share"),
        ("工业固体废物综合利用率保持在90%以上。", 90, "share"),
        ("违规问题发生率控制在1%以内。", 1, "max"),
    ],
)
def test_shares(phrase: str, target: float, qualifier: str) -> None:
    found = one(phrase)
    assert (found["target"], found["unit"], found["qualifier"]) == (target, "%", qualifier)
    assert found["additive"] is False
    assert found["pacing"] == "year_end"


# --------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "unit"),
    [
        ("新增企业10家。", "家"),
        ("支持合作项目15项以上。", "项"),
        ("引进产业项目10个以上。", "个"),
        ("新建产业基金2支。", "支"),
        ("新增知识产权500件以上。", "件"),
        ("引进硕士以上人才超过600人。", "人"),
        ("培训人数700人次以上。", "人次"),
        ("开展各类双创活动15场以上。", "场"),
        ("开展培训活动20次以上。", "次"),
        ("吸引1400名以上外国人才。", "名"),
        ("共建产业学院2所。", "所"),
        ("组织企业赴先进地区对接交流4批。", "批"),
        ("获创新资金支持1亿元以上。", "亿元"),
        ("兑现奖补资金不少于1500万元。", "万元"),
        ("占比达到45%。", "%"),
        ("占比提高1个百分点。", "个百分点"),
        ("组织对接活动4场(次)。", "场(次)"),
        ("组织对接活动4场（次）。", "场(次)"),
        ("推介外国专家及技术项目200人(项)以上。", "人(项)"),
        ("连接设备累计达到5万台(套)。", "台(套)"),
        ("新增孵化面积2万平方米。", "平方米"),
        ("办结时限压缩至3个工作日以内。", "个工作日"),
    ],
)
def test_units(phrase: str, unit: str) -> None:
    assert one(phrase)["unit"] == unit


def test_compound_units_are_additive_counts() -> None:
    found = one("推介高层次外国专家及技术项目200人(项)以上。")
    assert (found["additive"], found["pacing"]) == (True, "linear")


# --------------------------------------------------------------------------
# Several targets in one sentence
# --------------------------------------------------------------------------


def test_names_are_short_and_keep_compound_words() -> None:
    assert one("实现产学研合作签约100项以上。")["name"] == "实现产学研合作签约"
    assert one("柔性引进外籍专家约40名。")["name"] == "柔性引进外籍专家"
    assert one("新建1-2支产业基金。")["name"] == "新建产业基金"
    share = one("争取全社会研发投入占GDP的比重稳定在2.3%左右。")
    assert share["name"] == "全社会研发投入占GDP的比重"


def test_a_floor_and_stretch_in_one_sentence_are_one_target_named_without_the_qualifier() -> None:
    growth = one("技术合同成交额确保增长10%、力争增长15%。")
    assert (growth["name"], growth["target"], growth["stretch"]) == ("技术合同成交额增长", 10, 15)
    count = one("高新技术企业数量确保达到1200家，力争达到1300家。")
    assert (count["name"], count["target"], count["stretch"]) == ("高新技术企业数量", 1200, 1300)


def test_two_targets_in_a_list() -> None:
    found = extract_indicators("新增省级平台10家、市级平台20家以上。")
    assert [(f["target"], f["unit"]) for f in found] == [(10, "家"), (20, "家")]
    assert [f["text"] for f in found] == ["新增省级平台10家", "市级平台20家以上"]
    assert found[1]["name"] == "新增市级平台"


def test_three_targets_in_a_list_share_the_closing_qualifier() -> None:
    found = extract_indicators("开展研发项目10项、形成知识产权100项、开发新产品15项以上。")
    assert [(f["target"], f["qualifier"]) for f in found] == [(10, "min"), (100, "min"), (15, "min")]
    assert [f["text"] for f in found] == ["开展研发项目10项", "形成知识产权100项", "开发新产品15项以上"]


def test_respectively() -> None:
    found = extract_indicators("高新技术企业、科技型中小企业分别达到180家、420家。")
    assert [(f["target"], f["qualifier"], f["name"]) for f in found] == [
        (180, "min", "高新技术企业"),
        (420, "min", "科技型中小企业"),
    ]


def test_targets_in_separate_clauses() -> None:
    text = "争取全年新增投资23.89亿元，投资额同比增长20%以上，产出专利成果300件以上，形成新产品500个。"
    assert summary(text) == [
        (23.89, "亿元", "exact"),
        (20, "%", "increase_by"),
        (300, "件", "min"),
        (500, "个", "exact"),
    ]


# --------------------------------------------------------------------------
# Stock vs flow
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "cumulative"),
    [
        ("累计引进韩资企业项目180家以上。", True),
        ("在孵企业团队总数达到1800个以上。", True),
        ("年内高新技术企业确保达到800家以上。", True),
        ("全年新增省级创新平台10家以上。", False),
        ("年内开展各类双创活动15场以上。", False),
        ("全年引进高层次创新人才团队15个以上。", False),
        ("全年实现各类金融投资20亿元以上。", False),
    ],
)
def test_stock_and_flow(phrase: str, cumulative: bool) -> None:
    assert one(phrase)["cumulative"] is cumulative


# --------------------------------------------------------------------------
# Names, ordinals, dates and labels are never targets
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "谋划办好第四届中韩创新大赛。",
        "办好第十八届中欧膜产业技术创新合作大会。",
        "2021年是“十四五”开局之年。",
        "以优异成绩庆祝建党100周年。",
        "更好发挥“1+4+N”高端创新平台体系作用。",
        "构建“1+N”建设模式。",
        "威海市科学技术局 威科字〔2021〕10号",
        "2021年3月1日",
        "实施科技创新三年行动。",
        "深入贯彻党的十九届五中全会精神。",
        "坚持“四个面向”，做到“两个维护”。",
        "实施“三一工作机制”。",
        "持续开展“四送四听”服务企业活动。",
        "开展科技云平台二期建设。",
        "对11家高校开展精准分析。",
        "提供24小时不间断服务。",
        "认真贯彻中央八项规定及其实施细则精神。",
        "加快实施一批重大创新工程。",
        "选派第五批省级科技特派员。",
        "加快5G网络建设。",
        "每季度召开1次工作推进会。",
        "每条产业链明确1名市级领导担任链长。",
        "对全市100家重点工业企业实行包联服务。",
        "实行一企一策精准辅导。",
        "统筹推进数十家企业开展试点。",
        "1.持续争创国家创新型城市。",
        "一、强化核心科技力量，打造区域创新高地",
        "（二）提升平台能级",
        "一是高水平编制实施规划。二是配套制定专项行动计划。",
        "推动文登、乳山省级农业科技园区上档升级，打造一个中心、两个基地。",
        "举办《2022年全县科技工作要点》宣讲。",
        "实施“千家万户”工程。",
    ],
)
def test_names_ordinals_dates_and_labels_are_not_targets(phrase: str) -> None:
    assert extract_indicators(phrase) == []


def test_size_before_a_noun_describes_it() -> None:
    assert summary("全年实施500万元以上工业项目120个。") == [(120, "个", "exact")]
    assert summary("培育营业收入超10亿元企业3家。") == [(3, "家", "exact")]


def test_aside_in_parentheses_is_its_own_clause() -> None:
    found = extract_indicators("培育高新技术企业50家以上（其中国家级平台2家）。")
    assert [(f["target"], f["qualifier"], f["text"]) for f in found] == [
        (50, "min", "培育高新技术企业50家以上"),
        (2, "exact", "其中国家级平台2家"),
    ]


REVIEW_PLAN = """2021年全市科技工作要点

一、2020年工作回顾

1.科技企业快速壮大。全年新增高新技术企业120家，总数达到600家。

二、2021年重点任务

2.壮大科技型企业群体。截至2020年底，全市科技型中小企业达到900家；2021年新增科技型中小企业150家以上，研发投入较2020年增长10%。去年举办双创活动12场，今年举办双创活动15场。
"""


def test_figures_about_earlier_years_are_not_targets() -> None:
    catalog = extract_catalog(REVIEW_PLAN)
    found = [(c["item"], c["target"], c["unit"]) for c in catalog if c["kind"] == "indicator"]
    assert found == [(2, 150, "家"), (2, 10, "%"), (2, 15, "场")]
    milestones = [c["id"] for c in catalog if c["kind"] == "milestone"]
    assert milestones == ["M02-0"]


def test_quoted_numbers_are_never_targets() -> None:
    assert summary("实施“100项重点工程”行动，新增企业10家。") == [(10, "家", "exact")]


# --------------------------------------------------------------------------
# Structure and catalog shape
# --------------------------------------------------------------------------

MINI_PLAN = """2021年全市科技工作要点

一、强化核心科技力量

1.持续争创国家创新型城市。一是高水平编制实施《威海市“十四五”科技创新规划》。全面对接国家规划。二是新增省级平台10家以上。三是加快争创工作，力争获批。

2.顶层布局实施重大创新工程。推动园区建设，培育企业20家。

二、提高产业创新能力

3.完善产业创新平台支撑体系。一是搭建创新创业共同体体系。争取年内组织开展重大技术攻关5项以上。
"""


def test_structure_sections_items_subtasks() -> None:
    nodes = parse_structure(MINI_PLAN).nodes
    shape = [(n.kind, n.section, n.item, n.subtask) for n in nodes]
    assert shape == [
        ("section", 1, 0, 0),
        ("item", 1, 1, 0),
        ("subtask", 1, 1, 1),
        ("subtask", 1, 1, 2),
        ("subtask", 1, 1, 3),
        ("item", 1, 2, 0),
        ("section", 2, 0, 0),
        ("item", 2, 3, 0),
        ("subtask", 2, 3, 1),
    ]


def test_catalog_ids_fields_and_order() -> None:
    catalog = extract_catalog(MINI_PLAN)
    kinds = [c["kind"] for c in catalog]
    assert kinds == sorted(kinds)  # indicators, then milestones
    ids = [c["id"] for c in catalog]
    assert ids == ["I01-2-1", "I02-0-1", "I03-1-1", "M01-1", "M01-3", "M02-0", "M03-1"]
    first = catalog[0]
    assert first == {
        "id": "I01-2-1",
        "kind": "indicator",
        "section": 1,
        "item": 1,
        "subtask": 2,
        "text": "新增省级平台10家以上",
        "name": "新增省级平台",
        "unit": "家",
        "target": 10,
        "stretch": None,
        "range_max": None,
        "qualifier": "min",
        "cumulative": False,
        "additive": True,
        "pacing": "linear",
        "review": "draft",
        "review_reason": "",
    }
    milestone = catalog[3]
    assert milestone["text"] == "高水平编制实施《威海市“十四五”科技创新规划》"
    assert milestone["name"]
    for key in ("unit", "target", "stretch", "range_max", "qualifier", "cumulative", "additive"):
        assert milestone[key] is None


def test_item_without_subtasks_gets_one_milestone() -> None:
    catalog = extract_catalog("1.深化产学研合作。全年签订合作协议100项。\n2.加强科研诚信建设。\n")
    milestones = [(c["id"], c["text"]) for c in catalog if c["kind"] == "milestone"]
    assert milestones == [("M01-0", "深化产学研合作"), ("M02-0", "加强科研诚信建设")]


def test_items_under_chinese_parentheses_with_numbered_subtasks() -> None:
    text = (
        "（一）加快培育科技企业\n1.高企扩容。新增高企10家。\n2.推动上市。新增上市企业两家。\n"
        "（二）提升平台能级\n1.建设平台。新增平台5个。\n"
    )
    found = [(f["id"], f["target"]) for f in extract_indicators(text)]
    assert found == [("I01-1-1", 10), ("I01-2-1", 2), ("I02-1-1", 5)]


def test_no_target_raises_chinese_error() -> None:
    with pytest.raises(PlanTextError, match="未在文本中找到任何量化目标"):
        extract_catalog(
            "一、加强党的建设\n1.坚持以党的政治建设为统领。深入学习贯彻党的十九届五中全会精神。\n"
        )


def test_empty_text_raises() -> None:
    with pytest.raises(PlanTextError):
        extract_catalog("   \n")


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------

SAMPLE = "2021年全市科技工作要点\n1.新增省级平台10家以上。\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.encode("utf-16"),  # with BOM
        lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
        lambda s: s.encode("gbk"),
        lambda s: s.encode("gb18030"),
        lambda s: s.replace("\n", "\r\n").encode("gbk"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "gbk", "gb18030", "gbk-crlf"],
)
def test_read_plan_text_encodings(tmp_path: Path, encode) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(encode(SAMPLE))
    assert read_plan_text(path) == SAMPLE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"  \r\n\t\n", "文件为空"),
        (b"\xef\xbb\xbf", "文件为空"),
        (b"abc\x00\x01\x02def", "不是文本文件"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "不是文本文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不是文本文件"),
        (bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 10, "不是文本文件"),
        (b"\x1b\x02\x03\x04\x05\x06\x07\x08" * 20 + b"text", "不是文本文件"),
    ],
    ids=["empty", "blank", "bom-only", "nul", "pdf", "zip", "ole", "undecodable", "control"],
)
def test_read_plan_text_rejects(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    with pytest.raises(PlanTextError, match=message):
        read_plan_text(path)


def test_read_plan_text_rejects_directories_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(PlanTextError, match="文件夹"):
        read_plan_text(tmp_path)
    with pytest.raises(PlanTextError, match="找不到文件"):
        read_plan_text(tmp_path / "missing.txt")


# --------------------------------------------------------------------------
# The 2021 plan against the curated catalog
# --------------------------------------------------------------------------

# (phrase in the 2021 text, a number inside it that is a name/date/label)
FORBIDDEN_2021 = [
    ("第四届", 4),
    ("第十八届", 18),
    ("十四五", 14),
    ("十四五", 5),
    ("100周年", 100),
    ("1+4+N", 1),
    ("1+4+N", 4),
    ("1+N", 1),
    ("〔2021〕10号", 10),
    ("〔2021〕", 2021),
    ("3月1日", 3),
    ("3月1日", 1),
    ("2021年", 2021),
    ("十九届", 19),
    ("五中全会", 5),
    ("四个面向", 4),
    ("两个维护", 2),
    ("四个意识", 4),
    ("四个自信", 4),
    ("三一工作机制", 3),
    ("四送四听", 4),
    ("二期建设", 2),
    ("11家高校", 11),
    ("八项规定", 8),
    ("一批", 1),
    ("第一议题", 1),
    ("三语种", 3),
    ("一宗产品一个平台", 1),
    ("一次办好", 1),
    ("三问三查三改", 3),
    ("四种形态", 4),
    ("10:18", 10),
    ("10:18", 18),
]


def _seed_catalog() -> list[dict]:
    return extract_catalog(read_plan_text(SEED))


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _describe(entry: dict) -> str:
    return (
        f"{entry['id']} {entry['target']}{entry['unit']} {entry['qualifier']}"
        f" stretch={entry.get('stretch')} | {entry['text']}"
    )


def _match_curated(curated: list[dict], extracted: list[dict]) -> tuple[list, list[str]]:
    """Match one-to-one by (item, number, unit); a hit also needs qualifier and stretch."""
    hits, misses = [], []
    free = list(extracted)
    for cur in curated:
        same = [
            e
            for e in free
            if e["item"] == cur["item"] and e["unit"] == cur["unit"] and _close(e["target"], cur["target"])
        ]
        good = [
            e for e in same if e["qualifier"] == cur["qualifier"] and _close(e["stretch"], cur.get("stretch"))
        ]
        if good:
            hits.append((cur, good[0]))
            free.remove(good[0])
            continue
        near = same or [
            e for e in extracted if e["item"] == cur["item"] and _close(e["target"], cur["target"])
        ]
        got = "; ".join(_describe(e) for e in near) or "nothing with that number in the item"
        misses.append(f"MISS {_describe(cur)}\n     extracted: {got}")
    return hits, misses


def test_recall_against_curated_catalog() -> None:
    if not CURATED.exists():
        pytest.skip(f"{CURATED} not written yet")
    curated = tomllib.loads(CURATED.read_text(encoding="utf-8")).get("indicator", [])
    assert curated, "curated catalog has no [[indicator]] entries"
    extracted = [c for c in _seed_catalog() if c["kind"] == "indicator"]
    hits, misses = _match_curated(curated, extracted)
    matched_ids = {id(e) for _, e in hits}
    extras = [e for e in extracted if id(e) not in matched_ids]
    recall = len(hits) / len(curated)
    precision = len(hits) / len(extracted) if extracted else 0.0
    print(
        f"recall={recall:.3f} ({len(hits)}/{len(curated)}) "
        f"precision={precision:.3f} ({len(hits)}/{len(extracted)})"
    )
    print("\n".join(misses))
    print("\n".join("EXTRA " + _describe(e) for e in extras))
    assert recall >= 0.95, "\n".join(misses)
    _assert_no_forbidden_numbers(extracted)


def _assert_no_forbidden_numbers(extracted: list[dict]) -> None:
    for entry in extracted:
        for phrase, value in FORBIDDEN_2021:
            bad = phrase in entry["text"] and _close(entry["target"], value)
            assert not bad, f"{entry['id']} took {value} from {phrase!r}: {entry['text']}"


def test_seed_has_no_name_or_date_numbers() -> None:
    _assert_no_forbidden_numbers([c for c in _seed_catalog() if c["kind"] == "indicator"])


def test_seed_texts_are_verbatim_and_ids_unique() -> None:
    text = read_plan_text(SEED)
    catalog = _seed_catalog()
    assert len({c["id"] for c in catalog}) == len(catalog)
    for entry in catalog:
        assert entry["text"] in text, entry["id"]
        assert entry["section"] in range(0, 8) and entry["item"] in range(0, 22)


def test_seed_structure_has_7_sections_and_21_items() -> None:
    nodes = parse_structure(read_plan_text(SEED)).nodes
    assert [n.number for n in nodes if n.kind == "section"] == list(range(1, 8))
    assert [n.item for n in nodes if n.kind == "item"] == list(range(1, 22))


def test_a_quoted_figure_leaves_no_quote_mark_in_the_name() -> None:
    """石湖县's plan writes 选派科技特派员“80”人: the name keeps no stray “, quoted names keep theirs."""
    catalog = extract_catalog("8.引育科技人才。选派科技特派员“80”人，发放“科技贷”2亿元。\n")
    names = [(c["name"], c["target"]) for c in catalog if c["kind"] == "indicator"]
    assert names == [("选派科技特派员", 80), ("发放“科技贷”", 2)]
