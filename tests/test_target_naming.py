"""Naming a figure's indicator on made-up text that is in no corpus: which clause's subject a
figure takes, a place inside the document's own kept in the name, a generic measure word named
with what it measures."""

from __future__ import annotations

from tests.conftest import made_up_rows

_rows = made_up_rows


def test_a_short_form_of_a_place_inside_the_documents_stays_in_the_name() -> None:
    # a made-up report of a real province: its places are the gazetteer's
    rows = _rows(
        "赣州机场星火货运量突破80万吨。赣州市光谷企业达到300家。江西星火产值增长6%。",
        region="江西省",
        level="省",
    )
    # 赣州 written short is part of the name: the row is the province's, the figure 赣州's
    assert (rows["80万吨"].indicator_norm, rows["80万吨"].place) == ("赣州机场星火货运量", "江西省")
    # written in full it is the row's place
    assert (rows["300家"].indicator_norm, rows["300家"].place) == ("光谷企业", "赣州市")
    # the document's own place is framing
    assert rows["6%"].indicator_norm == "星火产值"


def test_a_clause_with_its_own_subject_is_not_lent_the_subject_before() -> None:
    rows = _rows(
        "星火镇光谷产值达到120亿元，青石镇光谷产值突破百亿、达到104亿元。"
        "星火产业产值达到5.2万亿元、增长5.6%。"
    )
    assert rows["104亿元"].indicator_norm == "青石镇光谷产值"
    # a figure's own subjectless predicate still continues the subject before
    assert rows["5.6%"].indicator_norm == "星火产业产值"


def test_a_figure_with_its_own_noun_after_it_does_not_pass_its_subject_on() -> None:
    rows = _rows(
        "全市最大的25万吨星火乙烯项目投产、300万吨CCUS光谷示范项目建成、135万吨青山改造项目开工。"
        "星火资金的62%用于光谷产业。"
    )
    # a phrase with 的 before a figure qualifies the noun after it
    assert "星火乙烯项目" in rows["25万吨"].indicator_norm
    # (a noun written from Latin letters too)
    assert rows["300万吨"].indicator_norm == "CCUS光谷示范项目建成"
    assert rows["135万吨"].indicator_norm == "青山改造项目开工"
    # a rate after 的 is a share of the phrase before it
    assert rows["62%"].indicator_norm == "星火资金"


def test_a_measure_word_alone_is_named_with_what_it_measures() -> None:
    rows = _rows(
        "实施星火改造项目70个、完成投资47亿元。"
        "新增光谷企业120家，总数达到360家。"
        "推进青山大道建设，全年完成投资24亿元。"
    )
    # the figure before ends the clause before: its name says whose measure it is
    assert rows["47亿元"].indicator_norm == "实施星火改造项目投资"
    # (a total of all of them, not of the ones added: without_addition)
    assert rows["360家"].indicator_norm == "光谷企业总数"
    # no figure before: the object of the clause before
    assert rows["24亿元"].indicator_norm == "青山大道建设投资"


def test_rates_and_named_measures_keep_their_own_name() -> None:
    rows = _rows("地区生产总值增长6%，投资增长8%，出口增长3%。改造老旧小区81个、老旧管网53公里。")
    # a run of rates lists indicators of their own
    assert rows["8%"].indicator_norm == "投资"
    assert rows["3%"].indicator_norm == "出口"
    # a measure word with a word of its own before it says which
    assert rows["53公里"].indicator_norm == "老旧管网"


def test_measure_words_are_fitted_from_names_and_where_they_stand() -> None:
    from rag.targets.heads import bare_measure, fit_measure_words

    names = ["固定资产投资", "民间投资", "工业投资", "星火投资", "光谷投资", "投资"]
    things = ["星火企业", "光谷企业", "青山企业", "碧水企业", "云岭企业"]
    fitted = fit_measure_words(
        [(n, True) for n in names] + [(n, n != "星火企业") for n in things * 2]
    )
    # a head many things are measured by, written before its figure
    assert "投资" in fitted
    # a thing counted after its figure (培育30家星火企业) as often as not is not a measure word
    assert "企业" not in fitted
    assert bare_measure("完成投资", fitted) == "投资"
    assert bare_measure("光谷投资", fitted) == ""


def test_a_bare_verb_measures_the_noun_the_figure_qualifies_with_de() -> None:
    rows = _rows("今年要新增800万吨标准煤的星火节能能力。实施两年新增4万亿元的光谷投资计划。")
    assert rows["800万吨标准煤"].indicator_norm == "新增星火节能能力"
    assert rows["4万亿元"].indicator_norm.endswith("光谷投资计划")


def test_a_list_item_ending_in_a_word_of_the_projects_dictionary_shares_the_figure() -> None:
    # 众创空间 is a word config/userdict.txt adds without a tag: a name of a thing
    rows = _rows("新增青山众创空间、光谷孵化器5家。")
    assert rows["5家"].indicator_norm == "新增青山众创空间、光谷孵化器"


def test_each_item_of_a_respectively_list_keeps_its_own_name_and_the_lists_place() -> None:
    rows = _rows("赣州市法规、光谷措施分别新增4部、10部。", region="江西省", level="省")
    # 法规 is written as a head of its own across the table: an item, not a modifier of 措施
    assert (rows["4部"].indicator_norm, rows["4部"].place) == ("法规新增", "赣州市")
    assert (rows["10部"].indicator_norm, rows["10部"].place) == ("光谷措施新增", "赣州市")


def test_a_figure_in_a_classifier_unit_before_a_noun_names_a_class_not_a_quantity() -> None:
    rows = _rows(
        "新建青山电网5个550千伏星火输变电工程，碧水220千伏光谷线路建成投运。"
        "青山电网电压等级达到550千伏。"
    )
    # 550千伏 (a voltage class) before the noun it classifies is part of a name: no row
    assert [r.value for r in rows.values()].count("550千伏") == 1
    assert "220千" not in rows and "220千伏" not in rows
    # the count before it counts the whole noun phrase, the class included
    assert rows["5个"].indicator_norm.endswith("550千伏星火输变电工程")
    # a figure in that unit closing its clause is a quantity, read with its whole unit
    assert (rows["550千伏"].indicator_norm, rows["550千伏"].unit) == ("青山电网电压等级", "千伏")


def test_a_bare_counted_thing_belongs_to_the_programme_the_clause_before_sets_up() -> None:
    rows = _rows(
        "启动实施青山振兴补短板工程，实施项目120个，完成投资35亿元。"
        "推进星火服务质量提升，接待游客300万人次。"
    )
    assert rows["120个"].indicator_norm == "青山振兴补短板工程实施项目"
    # the measure word after it takes the programme's projects' name
    assert rows["35亿元"].indicator_norm == "青山振兴补短板工程实施项目投资"
    # a clause whose verb's object is followed by a predicate (提升) sets up no programme
    assert rows["300万人次"].indicator_norm == "接待游客"


def test_an_item_joined_by_a_conjunction_shares_the_ending_names_are_written_with() -> None:
    from rag.targets.heads import fit_shared_ends

    rows = _rows("碧水医保和光谷公共卫生服务经费人均财政补助标准分别再提高30元和5元。")
    # 人均财政补助标准 ends names after several modifiers across the table: the item shares it
    assert rows["30元"].indicator_norm == "碧水医保人均财政补助标准"
    assert rows["5元"].indicator_norm == "光谷公共卫生服务经费人均财政补助标准"
    # the endings are fitted from names: one written after three different modifiers
    fitted = fit_shared_ends(["青山港吞吐量", "星火机场吞吐量", "碧水码头吞吐量", "光谷收入"])
    assert "吞吐量" in fitted
    assert "收入" not in fitted


def test_a_verb_phrase_before_a_figure_leaves_the_naming_to_the_noun_after_it() -> None:
    rows = _rows("高效处置15起星火森林火灾，坚决守住18亿亩青山耕地红线。星火港吞吐量达到3亿吨。")
    # a phrase of verbs and adverbs only (高效处置) says what is done, the noun after what
    assert rows["15起"].indicator_norm == "高效处置星火森林火灾"
    assert rows["18亿亩"].indicator_norm == "坚决守住青山耕地红线"
    # a noun before the figure still names it
    assert rows["3亿吨"].indicator_norm == "星火港吞吐量"


def test_a_name_with_no_owner_takes_the_noun_phrase_the_sentence_opens_with() -> None:
    from rag.targets.heads import ownerless

    rows = _rows(
        "星火软件产业撑起半壁江山，规模占比超过40%。"
        "青山港务集团要全力突围，在稳经营、提效益上下功夫，力争营收达到90亿元。"
        "星火新区加快建设，减税超过2亿元。"
        "星火乳业产值跨过百亿元大关，全国排名上升3位。"
    )
    # a name of measure words or verbs only says whose figure it is not: the subject of the
    # sentence's first clause, with no figure in between, is whose
    assert rows["40%"].indicator_norm == "星火软件产业规模占比"
    assert rows["90亿元"].indicator_norm == "青山港务集团营收"
    assert rows["2亿元"].indicator_norm == "星火新区减税"
    # a scope (全国) is where the figure is ranked, not whose figure it is
    assert rows["3位"].indicator_norm == "星火乳业产值全国排名"
    # a name with a noun of its own has its owner; so has a measure word alone (measured_thing's)
    assert ownerless("规模占比") and ownerless("减税")
    assert not ownerless("光谷企业总数") and not ownerless("一般公共预算收入")


def test_a_name_keeps_no_owner_the_sentence_does_not_give_it() -> None:
    rows = _rows(
        "星火软件产业营收达到80亿元，企业总数达到30家，规模占比超过40%。"
        "大力发展星火软件产业，规模占比超过35%。"
        "青山经济社会发展的主要预期目标是：规模占比提高到45%。"
    )
    # a figure in between has a subject of its own, which the figure may share
    assert rows["40%"].indicator_norm == "规模占比"
    # a verb opens the first clause: no subject; a framing ends with ：
    assert rows["35%"].indicator_norm == "规模占比"
    assert rows["45%"].indicator_norm == "规模占比"


def test_a_stock_in_a_list_shares_the_verb_of_the_item_before() -> None:
    rows = _rows(
        "新增星火高标准农田800万亩以上、光谷节水灌溉面积200万亩。"
        "改造星火燃气管网72公里、光谷供热管网112公里、碧水污水管网30公里。"
        "新增星火地铁线路43公里、总长度达到879公里。新增星火企业120家、光谷企业30家。"
    )
    # an area or a length named alone reads as the stock; it is what the verb adds
    assert rows["200万亩"].indicator_norm == "新增光谷节水灌溉面积"
    assert rows["112公里"].indicator_norm == "改造光谷供热管网"
    assert rows["30公里"].indicator_norm == "改造碧水污水管网"
    # a total (总…) with a predicate of its own is the stock
    assert rows["879公里"].indicator_norm == "总长度"
    # a count is not a stock: counted things are named without the verb
    assert rows["30家"].indicator_norm == "光谷企业"


def test_a_name_of_a_modifier_or_a_threshold_word_takes_the_thing_counted() -> None:
    rows = _rows(
        "培育1个300亿级、2个50亿级星火产业名镇。星火人均产值突破8万关口、达到8.6万元。"
        "在70％街道举办的光谷社区服务中心推行星火制度。取消120项青山部门指定光谷实施的审批事项。"
        "改造1亿人居住的星火棚户区。"
    )
    # a class in digits (50亿级) after a count is part of the noun the count counts
    assert rows["2个"].indicator_norm == "50亿级星火产业名镇"
    assert rows["1个"].indicator_norm == "星火产业名镇"
    # a magnitude a subject passes (突破8万关口) is that subject's threshold
    assert rows["8万"].indicator_norm == "星火人均产值"
    assert rows["8.6万元"].indicator_norm == "星火人均产值"
    # a clause ending in its verb before 的 lacks its object: the noun after 的
    assert rows["70％"].indicator_norm == "街道举办的光谷社区服务中心"
    assert rows["120项"].indicator_norm == "青山部门指定光谷实施的审批事项"
    # a verb alone before 的 has the counted people as its subject
    assert "棚户区" not in rows["1亿人"].indicator_norm


def test_a_name_with_no_owner_takes_the_object_of_the_clause_right_before() -> None:
    rows = _rows(
        "启动新的三年青山棚户区攻坚计划，今年开工58万套。"
        "继续实施星火退耕还林工程，今年拟安排50万亩。"
        "启动青山棚户区攻坚计划，完善星火机制，今年开工30万套。"
    )
    # a verb alone (开工, 安排) is done to what the clause before sets up, its modifiers
    # before 的 left out
    assert rows["58万套"].indicator_norm == "三年青山棚户区攻坚计划开工"
    assert rows["50万亩"].indicator_norm == "星火退耕还林工程安排"
    # not across another clause
    assert rows["30万套"].indicator_norm == "开工"


def test_a_stance_word_is_framing_only_as_a_word_of_its_own() -> None:
    rows = _rows("共建星火产业园区15个。共新增光谷企业20家。")
    # 共 opening 共建 (built jointly) is part of the verb, not 共 (in total)
    assert rows["15个"].indicator_norm == "共建星火产业园区"
    assert rows["20家"].indicator_norm == "新增光谷企业"


def test_a_rate_of_a_noun_is_an_indicator_of_its_own() -> None:
    rows = _rows(
        "星火财政赤字规模比上年减少150亿元，赤字率下降到2%左右。星火热线受理诉求47万件、办结率99%。"
    )
    # 赤字率: a rate of a noun names its own measure, not the figure before's
    assert rows["2%"].indicator_norm == "赤字率"
    # 办结率: a rate of a verb alone is the rate of the subject before
    assert rows["99%"].indicator_norm.startswith("星火热线")
    assert rows["99%"].indicator_norm.endswith("办结率")


def test_a_total_after_an_addition_is_named_without_the_adding_verb() -> None:
    rows = _rows(
        "新增星火公园14座、累计达到97座。新增光谷企业120家，总量达到1800家。"
        "青山收款机新增5万台、累计达到9万台。累计清退星火网箱养殖70公顷。"
    )
    # the total is of every park, not of the ones added
    assert rows["97座"].indicator_norm == "星火公园"
    assert rows["1800家"].indicator_norm == "光谷企业总量"
    assert rows["9万台"].indicator_norm == "青山收款机"
    # 累计 before a figure's own verb and noun is how it was done, the name its own
    assert rows["70公顷"].indicator_norm.startswith("清退")


def test_a_total_measure_word_is_named_with_what_it_measures() -> None:
    from rag.targets.heads import bare_measure

    rows = _rows("签约星火项目50个、总投资超260亿元。")
    # 总 (a distinguishing word) before a measure word says which measure, not whose
    assert rows["260亿元"].indicator_norm == "签约星火项目总投资"
    assert bare_measure("总投资") == "投资"
    assert bare_measure("星火投资") == ""


def test_a_rank_with_no_owner_ranks_the_figure_before() -> None:
    rows = _rows(
        "星火产值增长5%，光谷生猪出栏615万头，保持全国第5位。"
        "光谷算力规模突破20万P、青山智算规模保持全国第1位。"
        "星火业务量和光谷收入增速分别居全国第3位、第2位。"
    )
    # 保持全国 says where it is ranked, not what: the figure before in the sentence run
    assert rows["第5位"].indicator_norm == "光谷生猪出栏保持全国"
    # a measure of its own (规模) is ranked itself; so is each item of a 分别 list
    assert rows["第1位"].indicator_norm == "青山智算规模保持全国"
    assert not rows["第2位"].indicator_norm.startswith("星火")


def test_a_count_of_a_grade_alone_shares_the_head_listed_after_it() -> None:
    rows = _rows("新建8个国家级、36个省级星火重点专科。")
    # 国家级 is a grade (a distinguishing word) of the noun the next count names
    assert rows["8个"].indicator_norm == "国家级星火重点专科"
    assert rows["36个"].indicator_norm == "省级星火重点专科"


def test_a_list_inside_brackets_is_part_of_the_counted_noun() -> None:
    rows = _rows("214个县（市、区）实施星火养老保险试点，120万人参保。")
    # 、 inside brackets ends no clause: the count's noun and its predicate run past it
    assert rows["214个"].indicator_norm == "县市区实施星火养老保险试点"


def test_an_item_of_a_respectively_list_with_no_owner_shares_the_modifier_before() -> None:
    rows = _rows("星火港口安全事故起数、死亡人数分别下降9%、11%。")
    # 死亡人数 alone reads as every death; it is the accidents' of the item before
    assert rows["11%"].indicator_norm == "星火港口安全事故死亡人数"


def test_a_figure_before_a_noun_of_a_measure_word_is_that_nouns_amount() -> None:
    rows = _rows("星火财政安排100亿元光谷专项奖补资金，重点用于青山。星火财政投资120亿元建设光谷。")
    # the noun after the figure closes its clause with a measure word (资金): its amount
    assert rows["100亿元"].indicator_norm == "星火财政安排光谷专项奖补资金"
    # the words before name the measure themselves (投资): theirs
    assert rows["120亿元"].indicator_norm == "星火财政投资"


def test_a_negated_bound_is_not_left_on_the_name() -> None:
    rows = _rows("星火新增造林面积不低于880万亩。光谷绿电比例不高于80%。")
    # 不 before 低于/高于 is the bound's (不低于), not the end of the subject
    assert rows["880万亩"].indicator_norm == "星火新增造林面积"
    assert rows["80%"].indicator_norm == "光谷绿电比例"


def test_a_short_name_whose_verb_repeats_an_earlier_action_takes_that_actions_owner() -> None:
    rows = _rows(
        "开展星火村改造专项行动，年内完成600套改造计划。"
        "光谷矿业权出让11宗、出让收益超过13亿元。"
        "全面推行调解登记制，全市调解总量下降4%。"
    )
    # 改造计划 alone reads as every renovation plan: it is 星火村's, written before 改造
    assert rows["600套"].indicator_norm == "星火村改造计划"
    assert rows["13亿元"].indicator_norm == "光谷矿业权出让收益"
    # a manner word the dictionary writes as one noun with its verb (全面推行) owns nothing
    assert "全面" not in rows["4%"].indicator_norm


def test_a_count_of_a_head_alone_after_examples_with_deng_takes_the_last_example() -> None:
    rows = _rows(
        "开工星火大道改扩建等3个项目，建成光谷一桥、青石二桥等5座桥梁。"
        "设立青石新区等4个国家级开发区。培育星火企业12家。"
    )
    # 3个项目 alone reads as every project; they are projects like 星火大道改扩建
    assert rows["3个"].indicator_norm == "星火大道改扩建等项目"
    # the example right before 等, not the whole list
    assert rows["5座"].indicator_norm == "青石二桥等桥梁"
    # a head with a modifier of its own keeps its name
    assert rows["4个"].indicator_norm == "国家级开发区"
    # no examples: the name is as before
    assert rows["12家"].indicator_norm == "培育星火企业"


def test_a_measure_word_alone_before_a_figure_qualifying_a_noun_with_de_is_that_nouns() -> None:
    rows = _rows("总投资88亿元的星火大桥二期工程开工建设。设立总规模50亿元的光谷产业母基金。")
    # 总投资 alone lacks whose; the figure qualifies the bridge with 的
    assert rows["88亿元"].indicator_norm == "星火大桥二期工程总投资"
    # the verb before the measure word is not the fund's
    assert rows["50亿元"].indicator_norm == "光谷产业母基金总规模"


def test_money_named_short_after_a_count_in_a_list_is_the_counted_things() -> None:
    rows = _rows("全市出让星火矿权58个、收益29亿元。光谷新建绿道13公里、绿地100公顷。")
    # 收益 alone reads as all the city's revenue: it is the sold rights'
    assert rows["29亿元"].indicator_norm == "出让星火矿权收益"
    # a thing of its own after a figure in another measure keeps its name
    assert rows["100公顷"].indicator_norm == "绿地"


def test_a_share_before_the_noun_closing_its_clause_after_a_verb_is_of_that_noun() -> None:
    rows = _rows("星火书屋覆盖全市85%村庄，光谷绿电覆盖率达到60%。")
    # 85% is a share of the villages the reading rooms reach, not of the reading rooms
    assert rows["85%"].indicator_norm == "星火书屋覆盖全市村庄"
    # a rate after its name is as before
    assert rows["60%"].indicator_norm == "光谷绿电覆盖率"


def test_a_figure_before_a_verb_alone_and_a_later_count_is_for_what_that_count_counts() -> None:
    rows = _rows("加强星火民生建设，投入12亿元办好8件光谷便民实事。")
    # 12亿元 is spent on the 8 matters; 「投入办好」 alone says neither what nor whose
    assert rows["12亿元"].indicator_norm == "投入办好光谷便民实事"
    assert rows["8件"].indicator_norm == "光谷便民实事"


def test_a_lead_over_another_figure_and_a_growths_rank_keep_the_growth() -> None:
    rows = _rows(
        "光谷园区星火产值、利润增速分别高于全市1.5个和2.8个百分点。"
        "青山港吞吐量增速快于全省4个百分点。"
        "预计星火投资增长9%、保持全省第3位。"
        "光谷PM2.5浓度不高于35微克/立方米。"
    )
    # a comparison between the name and its figure: a lead over another, not the own growth
    assert rows["1.5个"].indicator_norm == "光谷园区星火产值高于全市"
    assert rows["2.8个百分点"].indicator_norm == "光谷园区星火产值利润高于全市"
    assert rows["4个百分点"].indicator_norm == "青山港吞吐量快于全省"
    # a growth's rank ranks the growth, not the level
    assert rows["第3位"].indicator_norm == "星火投资增速保持全省"
    # a negated comparison is the figure's bound
    assert rows["35微克/立方米"].indicator_norm == "光谷PM2.5浓度"


def test_a_bound_of_a_class_whose_share_the_clause_states_is_no_row() -> None:
    rows = _rows(
        "星火村年收入超20万元、超50万元村集体占比分别达45%、12%。"
        "经营性收入5万元以上的光谷村占比超过60%。"
        "12个青山园区产值占比达30%，光谷新增企业超过300家，占比达到40%。"
    )
    # the bounds say which villages, the shares are the figures
    assert not {"20万元", "50万元", "5万元"} & set(rows)
    assert rows["60%"].indicator_norm == "经营性收入5万元以上的光谷村占比"
    assert rows["45%"].qualifier == ""
    # a count with no bound, and a bound in a clause of its own, are quantities
    assert {"12个", "300家"} <= set(rows)


def test_a_ranked_list_or_a_designation_is_no_quantity() -> None:
    """「上榜中国松果企业500强」 names a ranked list and 「歼-35A」 a model: neither is a figure of
    the plan; the firms counted are, named by what they did. 「23次强降水」 is a count (强 is
    the rain's, not the figure's)."""
    rows = made_up_rows(
        "9家星火企业上榜中国松果企业500强，新型松果战机歼-35A亮相，应对23次强降水。"
    )
    assert "500强" not in rows and "35A" not in rows
    assert rows["9家"].indicator_norm.endswith("上榜中国松果企业")
    assert "23次" in rows
