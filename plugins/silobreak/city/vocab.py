"""Vocabulary of the synthetic city of Shenzhen, kept as plain data.

Generators sample from these tables so that the records look like what a
Shenzhen department really holds: real district codes (GB/T 2260) and street
(街道) names, plausible road names, surnames weighted by their real frequency
and given-name characters that lean male or female. Keeping the data apart
from the sampling code lets reviewers check the facts without reading numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DISTRICTS",
    "FEMALE_GIVEN_CHARS",
    "MALE_GIVEN_CHARS",
    "MOBILE_PREFIXES",
    "NEUTRAL_GIVEN_CHARS",
    "OTHER_PROVINCE_DIVISIONS",
    "RETIRED_SHENZHEN_DIVISIONS",
    "SURNAMES",
    "District",
]


@dataclass(frozen=True)
class District:
    """A Shenzhen district as registered by Public Security.

    ``weight`` is the 2020 census resident population in units of 10,000,
    used only as a relative sampling weight. ``streets`` pairs each street
    (街道) with roads inside it, so that a generated address never puts a
    road in a street on the other side of the district. ``id_code_since`` is
    the first year-month (yyyymm) from which a newborn got this district's
    code in the ID; earlier births in its area carry ``id_code_before`` (the
    district it was split from), because ID numbers never change when
    districts do.
    """

    code: str
    name: str
    weight: float
    streets: tuple[tuple[str, tuple[str, ...]], ...]
    id_code_since: int = 0
    id_code_before: str | None = None


def _split(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word list, keeping order and dropping repeats."""
    return tuple(dict.fromkeys(text.split()))


def _streets(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Parse "street: road road; street: road ..." into (street, roads) pairs."""
    pairs = (part.split(":") for part in text.split(";") if part.strip())
    return tuple((street.strip(), _split(roads)) for street, roads in pairs)


DISTRICTS: tuple[District, ...] = (
    District(
        "440303",
        "罗湖区",
        114.4,
        _streets(
            "桂园: 解放路 宝安南路 松园路 红岭中路; 黄贝: 沿河北路 黄贝路 新秀路 凤凰路;"
            " 东门: 东门中路 新园路 湖贝路 深南东路; 翠竹: 翠竹路 田贝一路 水贝二路 太白路;"
            " 东晓: 东晓路 布心路 独树路; 南湖: 人民南路 建设路 嘉宾路 春风路;"
            " 笋岗: 笋岗路 宝岗路 梨园路; 东湖: 爱国路 罗沙路 布心路;"
            " 莲塘: 国威路 仙湖路 畔山路 罗沙路; 清水河: 清水河一路 清水河三路 泥岗东路"
        ),
    ),
    District(
        "440304",
        "福田区",
        155.3,
        _streets(
            "南园: 滨河大道 华强南路 南园路; 园岭: 红荔路 八卦路 上步中路 百花二路;"
            " 福田: 福华路 益田路 福民路 金田路; 沙头: 泰然九路 沙嘴路 新洲路 福强路;"
            " 梅林: 梅林路 中康路 凯丰路; 华富: 彩田路 华富路 莲花路;"
            " 香蜜湖: 香梅路 农林路 侨香路; 莲花: 景田路 商报路 红荔西路;"
            " 华强北: 华强北路 振华路 燕南路; 福保: 桂花路 红花路 福强路"
        ),
    ),
    District(
        "440305",
        "南山区",
        179.6,
        _streets(
            "南头: 南新路 前海路 中山园路 深南大道; 南山: 南山大道 登良路 桂庙路;"
            " 沙河: 沙河东路 白石路 深南大道; 蛇口: 太子路 工业三路 望海路;"
            " 招商: 招商路 沿山路 工业八路; 粤海: 科技南路 科技中一路 高新南一道 海德三道 后海大道;"
            " 桃源: 龙珠大道 珠光路 沙河西路; 西丽: 留仙大道 茶光路 打石一路 沙河西路"
        ),
    ),
    District(
        "440306",
        "宝安区",
        447.7,
        _streets(
            "新安: 新安六路 创业一路 建安一路 宝安大道 公园路; 西乡: 西乡大道 宝源路 前进二路 固戍一路;"
            " 航城: 航城大道 鹤洲路 洲石路; 福永: 福永大道 怀德路 宝安大道;"
            " 福海: 福海大道 新和大道 桥头路; 沙井: 沙井路 新沙路 北环路;"
            " 新桥: 上南大街 新玉路 广深路; 松岗: 松福大道 东方大道 沙江路;"
            " 燕罗: 广田路 松罗路 燕川路; 石岩: 宝石南路 石龙仔路 塘头大道"
        ),
    ),
    District(
        "440307",
        "龙岗区",
        413.5,
        # 大鹏新区's 葵涌, 大鹏 and 南澳 are registered under 龙岗 in GB/T 2260.
        _streets(
            "平湖: 平湖大街 守珍街 良白路; 坂田: 坂雪岗大道 五和大道 雪岗路;"
            " 布吉: 布吉路 深惠路 吉政路; 南湾: 丹竹头路 李朗大道 沙湾路;"
            " 横岗: 横岗大道 深惠路 松柏路; 龙城: 龙城大道 黄阁路 清林路 龙翔大道;"
            " 龙岗: 龙岗大道 龙岗路 南联路; 坪地: 坪西路 龙岗大道 富坪路;"
            " 吉华: 吉华路 布龙路 甘李路; 宝龙: 宝龙大道 宝荷大道 碧新路;"
            " 园山: 园山大道 横坪公路 安良路; 葵涌: 葵政路 金葵路 坪葵路;"
            " 大鹏: 迎宾路 大鹏中心路 鹏飞路; 南澳: 南澳大道 海滨路 南隆路"
        ),
    ),
    District(
        "440308",
        "盐田区",
        21.5,
        _streets(
            "梅沙: 环梅路 盐梅路; 盐田: 深盐路 盐田路 北山道;"
            " 沙头角: 沙盐路 海景二路 东和路; 海山: 海山路 梧桐路 东海道"
        ),
    ),
    District(
        "440309",
        "龙华区",
        252.9,
        _streets(
            "观湖: 环观南路 观澜大道 樟坑径路; 民治: 民治大道 梅龙大道 民康路 牛栏前路;"
            " 龙华: 人民路 和平路 东环一路 龙华大道 建设东路 清湖路; 大浪: 华荣路 大浪北路 腾龙路;"
            " 福城: 观澜大道 福城路 章阁路; 观澜: 观澜大道 环观中路 桂花路"
        ),
        id_code_since=201701,
        id_code_before="440306",
    ),
    District(
        "440310",
        "坪山区",
        55.1,
        _streets(
            "坪山: 坪山大道 东纵路 行政一路; 马峦: 深汕路 马峦路 沙坣路;"
            " 碧岭: 碧岭路 深汕路; 石井: 金牛路 石井路;"
            " 坑梓: 坑梓路 丹梓大道 宝山路; 龙田: 龙兴南路 兰竹路 锦龙大道"
        ),
        id_code_since=201701,
        id_code_before="440307",
    ),
    District(
        "440311",
        "光明区",
        109.5,
        _streets(
            "光明: 光明大道 华夏路 观光路; 公明: 公常路 松白路 长春路;"
            " 新湖: 光侨路 新湖路 楼村路; 凤凰: 凤凰大道 光侨路 塘明大道;"
            " 玉塘: 东周路 玉塘路 田寮路; 马田: 马田路 将石路 南光路"
        ),
        id_code_since=201810,
        id_code_before="440306",
    ),
)

#: Codes that Shenzhen IDs still carry though the division is gone: 440301
#: (深圳市市辖区, issued by the city before districts existed) and 440321
#: (宝安县, 1979-1992, before it became 宝安区 and 龙岗区). The value is the
#: first birth year-month that could no longer receive the code.
RETIRED_SHENZHEN_DIVISIONS: dict[str, int] = {"440301": 199001, "440321": 199301}

#: Division codes (checked against GB/T 2260) of the places Shenzhen residents
#: most often come from, weighted towards Guangdong and its neighbours.
OTHER_PROVINCE_DIVISIONS: tuple[tuple[str, float], ...] = (
    ("445102", 6.0),  # 潮州市湘桥区
    ("445202", 6.0),  # 揭阳市榕城区
    ("440513", 6.0),  # 汕头市潮阳区
    ("440507", 3.0),  # 汕头市龙湖区
    ("441402", 5.0),  # 梅州市梅江区
    ("441502", 3.0),  # 汕尾市城区
    ("441302", 3.0),  # 惠州市惠城区
    ("440104", 2.0),  # 广州市越秀区
    ("440106", 2.0),  # 广州市天河区
    ("440111", 1.5),  # 广州市白云区
    ("441202", 1.5),  # 肇庆市端州区
    ("440604", 1.0),  # 佛山市禅城区
    ("440785", 1.5),  # 江门恩平市
    ("441781", 1.5),  # 阳江阳春市
    ("430104", 4.0),  # 长沙市岳麓区
    ("430602", 2.5),  # 岳阳市岳阳楼区
    ("431002", 3.0),  # 郴州市北湖区
    ("430482", 2.5),  # 衡阳常宁市
    ("360102", 2.5),  # 南昌市东湖区
    ("360702", 3.0),  # 赣州市章贡区
    ("420106", 3.0),  # 武汉市武昌区
    ("421002", 2.0),  # 荆州市沙市区
    ("450103", 2.5),  # 南宁市青秀区
    ("450902", 2.5),  # 玉林市玉州区
    ("510104", 2.0),  # 成都市锦江区
    ("510903", 1.5),  # 遂宁市船山区
    ("500103", 1.5),  # 重庆市渝中区
    ("411302", 2.0),  # 南阳市宛城区
    ("410105", 1.5),  # 郑州市金水区
    ("350203", 1.0),  # 厦门市思明区
    ("460105", 1.0),  # 海口市秀英区
    ("520102", 1.0),  # 贵阳市南明区
    ("530102", 0.8),  # 昆明市五华区
    ("610113", 0.8),  # 西安市雁塔区
    ("340104", 0.8),  # 合肥市蜀山区
    ("370102", 0.6),  # 济南市历下区
    ("130102", 0.5),  # 石家庄市长安区
    ("110105", 1.0),  # 北京市朝阳区
    ("310104", 0.8),  # 上海市徐汇区
    ("320106", 0.6),  # 南京市鼓楼区
    ("330106", 0.6),  # 杭州市西湖区
    ("210102", 0.4),  # 沈阳市和平区
    ("220102", 0.3),  # 长春市南关区
    ("230102", 0.3),  # 哈尔滨市道里区
)

#: Surnames with relative weights: roughly the national frequency (per cent,
#: Ministry of Public Security ranking) nudged towards Guangdong, where 陈,
#: 黄, 林, 梁, 钟, 曾 and 赖 are more common than nationally.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 6.5), ("李", 7.0), ("张", 5.8), ("刘", 5.0), ("陈", 6.5),
    ("杨", 3.0), ("黄", 3.6), ("赵", 1.9), ("吴", 2.1), ("周", 1.9),
    ("徐", 1.4), ("孙", 1.2), ("马", 1.1), ("朱", 1.1), ("胡", 1.1),
    ("郭", 1.0), ("何", 1.3), ("林", 2.0), ("高", 0.9), ("罗", 1.2),
    ("郑", 1.1), ("梁", 1.3), ("谢", 1.0), ("宋", 0.7), ("唐", 0.7),
    ("许", 0.8), ("邓", 0.9), ("韩", 0.6), ("冯", 0.6), ("曹", 0.6),
    ("彭", 0.6), ("曾", 0.9), ("肖", 0.6), ("田", 0.5), ("董", 0.5),
    ("潘", 0.5), ("袁", 0.5), ("蔡", 0.6), ("蒋", 0.5), ("余", 0.5),
    ("于", 0.4), ("杜", 0.4), ("叶", 0.6), ("程", 0.4), ("魏", 0.4),
    ("苏", 0.4), ("吕", 0.4), ("丁", 0.4), ("任", 0.3), ("卢", 0.4),
    ("姚", 0.3), ("沈", 0.3), ("钟", 0.6), ("姜", 0.3), ("崔", 0.3),
    ("谭", 0.4), ("陆", 0.3), ("范", 0.3), ("汪", 0.3), ("廖", 0.5),
    ("石", 0.3), ("金", 0.25), ("韦", 0.3), ("贾", 0.25), ("夏", 0.25),
    ("付", 0.25), ("方", 0.25), ("邹", 0.3), ("熊", 0.25), ("白", 0.2),
    ("孟", 0.2), ("秦", 0.2), ("邱", 0.3), ("侯", 0.2), ("江", 0.25),
    ("尹", 0.2), ("薛", 0.2), ("闫", 0.18), ("段", 0.18), ("雷", 0.18),
    ("龙", 0.18), ("黎", 0.25), ("史", 0.16), ("陶", 0.16), ("贺", 0.16),
    ("毛", 0.15), ("郝", 0.15), ("顾", 0.14), ("龚", 0.14), ("邵", 0.14),
    ("万", 0.14), ("覃", 0.15), ("武", 0.13), ("钱", 0.12), ("戴", 0.13),
    ("严", 0.12), ("莫", 0.15), ("孔", 0.11), ("向", 0.11), ("常", 0.1),
    ("汤", 0.1), ("康", 0.1), ("易", 0.1), ("乔", 0.08), ("赖", 0.25),
    ("文", 0.1), ("施", 0.08), ("洪", 0.1), ("温", 0.12), ("庄", 0.1),
    ("甘", 0.06), ("柯", 0.06), ("欧", 0.06), ("辛", 0.04), ("翁", 0.06),
    ("欧阳", 0.04), ("司马", 0.005), ("上官", 0.005), ("诸葛", 0.004),
    ("司徒", 0.01), ("皇甫", 0.003), ("慕容", 0.002), ("东方", 0.002),
)  # fmt: skip

#: Given-name characters, most common first within each pool (the sampler
#: gives earlier characters more weight so that namesakes happen as in life).
MALE_GIVEN_CHARS: tuple[str, ...] = _split(
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 龙 峰"
    " 建 国 志 东 亮 成 鸿 博 昊 轩 睿 泽 航 哲 瑞 铭 豪 振 彬 峻 毅 锋 坤 威 鹤 江 源 川"
    " 山 松 柏 岩 森 栋 梁 群 武 兵 庆 福 贵 发 财 荣 生 德 胜 祥 顺 宏 茂 庭 光 耀 卫 钢"
    " 铁 宝 永 忠 义 良 雄 恒 政 伦 恩 诚 坚 力 晖 炜 煜 昌 盛 虎 彪 骏 驰 腾 翔 楷 皓 霖"
    " 弘 羽 泓 铖 彦 琛 晟 烨 熙 朗 锐 聪 绍 耕 增 根 顺 仁 孝 道 寿 全 军 奇 进 海 涵"
    " 翰 瀚 锦 钧 铮 钊 镇 雷 霆 达 远 勋 启 嘉 谦"
)

FEMALE_GIVEN_CHARS: tuple[str, ...] = _split(
    "芳 娜 敏 静 丽 艳 娟 霞 秀 英 玲 桂 燕 萍 红 莉 兰 琳 婷 雪 慧 颖 倩 洁 琴 莲 凤 梅"
    " 珍 琼 蓉 薇 菲 璐 瑶 怡 婕 悦 彤 萱 妍 诗 琪 蕾 露 媛 婉 娅 娇 姗 妮 嫣 婧 娴 媚 婵"
    " 姿 巧 菊 荷 茜 蓓 蕊 莎 芬 芸 芝 苗 茹 荔 菁 葳 蔓 黛 翠 素 淑 惠 贞 爱 美 晶 虹 丹"
    " 彩 灵 韵 馨 香 绣 瑾 璇 琦 瑜 珊 瑛 环 珠 钰 钗 依 伊 柔 舒 曼 沁 汐 沫 潇 湘 澜 滢"
    " 漪 颜 容 嫦 娥 妙 姣 婕 岚 月 秋 冰 梦 甜 蜜 蝶 黎 霓 霏 雯 靖 韶 佩 倚 卿 珏 琬 瑗"
    " 璟 筱 纯 绮 缨"
)

NEUTRAL_GIVEN_CHARS: tuple[str, ...] = _split(
    "文 晓 小 子 一 佳 家 天 思 梓 若 安 乐 欣 春 晨 雨 玉 金 立 新 正 中 和 方 圆 如 怀 景"
    " 逸 云 晗 沐 辰 星 晴 心 可 艺 诺 宁 青 清 阳 林 越 凡 宣 泉 君 卓 岳 桐 楠 芊"
    " 语 墨 言 希 望 真 善 同 敬 笑 歌 书 益 长 昕 朝 暄 霄 溪 潼 冬 夏"
)

#: First three digits of Chinese mobile numbers with rough market shares, so
#: that phone columns look like real subscriber data (China Mobile heavy).
MOBILE_PREFIXES: tuple[tuple[str, float], ...] = (
    ("134", 3.0), ("135", 6.0), ("136", 6.0), ("137", 6.0), ("138", 7.0),
    ("139", 7.0), ("147", 1.0), ("150", 4.0), ("151", 3.0), ("152", 3.0),
    ("157", 1.0), ("158", 4.0), ("159", 4.0), ("178", 1.5), ("182", 2.0),
    ("183", 2.0), ("184", 1.0), ("187", 2.5), ("188", 2.5), ("198", 1.5),
    ("130", 3.0), ("131", 2.0), ("132", 2.0), ("155", 2.0), ("156", 2.0),
    ("166", 1.0), ("175", 1.0), ("176", 1.5), ("185", 2.0), ("186", 3.0),
    ("133", 2.0), ("153", 1.5), ("173", 1.0), ("177", 1.5), ("180", 1.5),
    ("181", 1.5), ("189", 2.5), ("191", 0.8), ("199", 1.2),
)  # fmt: skip
