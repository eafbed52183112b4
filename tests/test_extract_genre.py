"""Rules of the plan genre beyond the 2021 plan: past results, restatements, artefacts, names."""

from __future__ import annotations

import pytest

from plantrack.extract import extract_indicators


def found(text: str) -> list[tuple]:
    return [(i["target"], i["unit"], i["qualifier"], i["stretch"]) for i in extract_indicators(text)]


def names(text: str) -> list[str]:
    return [i["name"] for i in extract_indicators(text)]


PLAN = "2024年全市工业工作要点\n\n"


def test_last_years_results_paragraph_is_not_a_target() -> None:
    text = PLAN + (
        "2023年，全市工业稳中有进。新增规上工业企业156家。建成5G基站2150个。\n\n"
        "2024年的主要目标是：新增规上工业企业120家以上。"
    )
    assert found(text) == [(120, "家", "min", None)]


def test_so_far_this_year_in_a_plan_written_the_year_before() -> None:
    text = (
        "青禾区商务局2023年工作总结及2024年工作计划\n\n2023年12月8日\n\n"
        "今年以来，全区商务工作稳步推进。1-10月，实现社会消费品零售总额286.5亿元，同比增长7.9%。\n\n"
        "三、2024年工作计划\n\n1．新增限上商贸企业60家以上。"
    )
    assert found(text) == [(60, "家", "min", None)]


def test_this_year_is_the_plan_year_when_written_in_it() -> None:
    text = "2024年全市工业工作要点\n\n2024年3月1日\n\n今年新增规上工业企业120家以上。"
    assert found(text) == [(120, "家", "min", None)]


def test_unnumbered_review_part_ends_at_the_plan_part() -> None:
    text = (
        "安澜高新区2025年工作计划\n\n第一部分  2024年工作总结\n\n"
        "1.科技创新能力持续增强。新增高新技术企业68家，总数达到412家。\n\n"
        "第二部分  2025年工作计划\n\n（一）培育创新主体。新增高新技术企业70家以上。"
    )
    assert found(text) == [(70, "家", "min", None)]


def test_restated_headline_target_is_one_target_and_keeps_the_stretch() -> None:
    text = PLAN + (
        "主要目标是：新增限上商贸企业60家以上。\n\n"
        "一、壮大主体\n\n1．新增限上商贸企业60家以上，力争新增70家。"
    )
    assert found(text) == [(60, "家", "min", 70)]


def test_same_figure_of_another_indicator_is_not_a_restatement() -> None:
    text = PLAN + "新创建国家级绿色工厂5家。新建省级智能工厂5家。"
    assert len(found(text)) == 2


@pytest.mark.parametrize(
    "phrase",
    [
        "粮食总产量确保75万吨，努力达到76万吨。",
        "农村居民人均可支配收入增长6.5%，争取达到7%。",
        "新增限上商贸企业60家以上，力争新增70家。",
    ],
)
def test_stretch_words_with_a_verb(phrase: str) -> None:
    assert len(found(phrase)) == 1
    assert found(phrase)[0][3] is not None


def test_figures_shared_between_indicators() -> None:
    text = PLAN + "规上工业增加值、固定资产投资分别增长8%、10%。"
    assert found(text) == [(8, "%", "increase_by", None), (10, "%", "increase_by", None)]
    assert names(text) == ["规上工业增加值", "固定资产投资"]


def test_shared_subject_tail() -> None:
    text = PLAN + "推动新能源、新材料两大产业集群营业收入分别达到900亿元、650亿元。"
    assert names(text) == ["新能源产业集群营业收入", "新材料产业集群营业收入"]


@pytest.mark.parametrize(
    ("phrase", "target", "unit"),
    [
        ("全年粮食播种面积稳定在180万亩以上。", 180, "万亩"),
        ("生猪出栏稳定在210万头左右。", 210, "万头"),
        ("实际使用外资2亿美元。", 2, "亿美元"),
        ("新增屋顶分布式光伏装机容量5万千瓦。", 5, "万千瓦"),
        ("新增植保无人机300架。", 300, "架"),
        ("新增获批医疗器械注册证40张。", 40, "张"),
        ("培训各类人才1.5万人次。", 15000, "人次"),
    ],
)
def test_units_of_other_fields(phrase: str, target: float, unit: str) -> None:
    assert found(phrase)[0][:2] == (target, unit)


@pytest.mark.parametrize(
    ("phrase", "target", "unit", "qualifier"),
    [
        ("一般工业固体废物综合利用率稳定在95%以\n上。", 95, "%", "share"),
        ("全年举办促消费活动四十场以\n上，其中重点活动不少于12场。", 40, "场", "min"),
        ("开展安全生产检查不少于300”家次。", 300, "家次", "min"),
        ("数字化转型覆盖率达到60% 以上。", 60, "%", "share"),
        ("培育跨境电商企业50 家。", 50, "家", "exact"),
        ("选派科技特派员“80”人。", 80, "人", "exact"),
    ],
)
def test_copy_artefacts(phrase: str, target: float, unit: str, qualifier: str) -> None:
    assert found(phrase)[0][:3] == (target, unit, qualifier)


@pytest.mark.parametrize(
    "phrase",
    [
        "推动总投资85亿元的新能源电池项目投产，项目达产后年产能可达20GWh、年产值150亿元。",
        "推动投资3.2亿元、年产5万吨有机肥的生物科技项目建成投产。",
        "对增速低于5%的企业逐一分析原因。",
        "全面消除集体经济年收入5万元以下的薄弱村。",
    ],
)
def test_project_sizes_and_descriptions_are_not_targets(phrase: str) -> None:
    assert found(phrase) == []


def test_threshold_before_de_leaves_the_count() -> None:
    assert found("培育年销售额超10亿元的商贸企业3家。") == [(3, "家", "exact", None)]


@pytest.mark.parametrize(
    ("phrase", "name"),
    [
        ("一是2024年新增入库技改项目180个以上。", "新增入库技改项目"),
        ("2025年全市新建高标准农田10万亩。", "新建高标准农田"),
    ],
)
def test_names_lose_dates_and_markers(phrase: str, name: str) -> None:
    assert names(phrase) == [name]


def test_cumulative_after_a_flow_names_the_stock() -> None:
    text = PLAN + "新建5G基站1200个，累计达到6500个以上。"
    assert names(text) == ["新建5G基站", "5G基站累计"]
    cumulative = [i["cumulative"] for i in extract_indicators(text)]
    assert cumulative == [False, True]


def test_a_level_in_place_of_a_name_borrows_the_noun() -> None:
    text = PLAN + "新培育市级以上农业产业化龙头企业20家，其中省级以上5家。"
    assert names(text)[1] == "新培育省级以上农业产业化龙头企业"


def test_items_are_the_numbering_inside_the_sections_not_the_review_before_them() -> None:
    text = (
        "安澜高新区2025年工作计划\n\n第一部分  2024年工作总结\n\n1.创新能力增强。新增企业68家。\n\n"
        "第二部分  2025年工作计划\n\n一、做强产业\n\n（一）壮大集群。新引进配套企业15家。\n\n"
        "（二）发展医药。新建公共服务平台2个。"
    )
    assert [i["id"] for i in extract_indicators(text)] == ["I01-0-1", "I02-0-1"]
