#!/usr/bin/env python3
"""Generate the flight-agent example dataset for agentft.

A travel-booking agent: each record maps a customer's request (a string, or a
short dialogue of {"role","content"} turns whose last user turn decides) to one
of the agent's actions, with the reply the agent should give and a short
reason for the choice. About 60% of the records are in English and 40% in
Chinese; about 15% are dialogues and about 5% are deliberately ambiguous
(tagged "ambiguous").

The output depends only on --seed and --count, so the bundled data.jsonl can be
rebuilt exactly:

    python3 generate.py                       # seed 7, 3600 records, data.jsonl
    python3 generate.py --seed 11 --out /tmp/other.jsonl --stats

Standard library only; no network. The code comes first, the text after it:
for each action and language, groups of requests ("ask", with a complexity 1-3
before the bar), replies ("say") and reasons ("why") that belong together.
Slots such as {dest} or {ref} are filled with made-up but realistic values. A
reply or reason is only used when every slot it names was mentioned in the
conversation (or is one the agent can state itself, such as a new booking
reference). A "topic|" mark ties a reply or reason to the requests with the
same mark ("2|gate|What gate does {flight} leave from?"); unmarked ones fit
any request of their group. At start the script checks that every request has
a fitting reply and reason, so a template edit can't produce broken records.
"""

import argparse
import json
import os
import random
import re
import string
import sys
from collections import Counter

# Relative frequency of each action among ordinary (non-ambiguous) records.
ACTION_WEIGHTS = {
    "search_flights": 15, "flight_status": 10, "book_flight": 10,
    "change_flight": 9, "baggage_info": 9, "cancel_booking": 8,
    "check_in": 7, "request_refund": 7, "select_seat": 6,
    "loyalty_points": 5, "special_assistance": 4, "handoff_to_human": 4,
    "price_alert": 3, "visa_info": 3,
}

P_CHINESE = 0.40      # share of records in Chinese
P_AMBIGUOUS = 0.05    # deliberately ambiguous single requests
P_DIALOGUE = 0.15     # multi-turn contexts
P_NO_COMPLEXITY = 0.05
P_NOISE = 0.14        # typos, slang or informal phrasing in the last user turn

# Slots the agent may state on its own (they need not appear in the request).
FREE_SLOTS = {"new_ref", "fee", "gate", "n_options"}


# --------------------------------------------------------------------------
# Slot values


class Slots(dict):
    """The slot values of one record, made on first use and then kept, so the
    request, the assistant's turns and the reply all name the same city,
    booking and passenger."""

    def __init__(self, rng, lang):
        super().__init__()
        self.rng = rng
        self.lang = lang
        self.cities = {}      # role -> city tuple
        self.memo = {}        # other choices that later slots depend on
        self.currency = None

    def __missing__(self, key):
        maker = MAKERS.get(key)
        if maker is None:
            raise KeyError("no maker for slot {%s}" % key)
        value = maker(self)
        self[key] = value
        return value

    def pick(self, items):
        return self.rng.choice(items)

    def en(self):
        return self.lang == "en"


def placeholders(template):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def fill(template, slots):
    return template.format_map(slots)


# (English name, Chinese name, IATA code, region, country key)
CITIES = [
    ("New York", "纽约", "JFK", "na", "us"), ("Los Angeles", "洛杉矶", "LAX", "na", "us"),
    ("San Francisco", "旧金山", "SFO", "na", "us"), ("Chicago", "芝加哥", "ORD", "na", "us"),
    ("Seattle", "西雅图", "SEA", "na", "us"), ("Boston", "波士顿", "BOS", "na", "us"),
    ("Miami", "迈阿密", "MIA", "na", "us"), ("Denver", "丹佛", "DEN", "na", "us"),
    ("Atlanta", "亚特兰大", "ATL", "na", "us"), ("Toronto", "多伦多", "YYZ", "na", "ca"),
    ("Vancouver", "温哥华", "YVR", "na", "ca"), ("London", "伦敦", "LHR", "eu", "uk"),
    ("Paris", "巴黎", "CDG", "eu", "fr"), ("Frankfurt", "法兰克福", "FRA", "eu", "de"),
    ("Munich", "慕尼黑", "MUC", "eu", "de"), ("Amsterdam", "阿姆斯特丹", "AMS", "eu", "nl"),
    ("Madrid", "马德里", "MAD", "eu", "es"), ("Rome", "罗马", "FCO", "eu", "it"),
    ("Zurich", "苏黎世", "ZRH", "eu", "ch"), ("Dublin", "都柏林", "DUB", "eu", "ie"),
    ("Lisbon", "里斯本", "LIS", "eu", "pt"), ("Istanbul", "伊斯坦布尔", "IST", "eu", "tr"),
    ("Dubai", "迪拜", "DXB", "me", "ae"), ("Tokyo", "东京", "HND", "as", "jp"),
    ("Osaka", "大阪", "KIX", "as", "jp"), ("Seoul", "首尔", "ICN", "as", "kr"),
    ("Singapore", "新加坡", "SIN", "as", "sg"), ("Bangkok", "曼谷", "BKK", "as", "th"),
    ("Hong Kong", "香港", "HKG", "as", "hk"), ("Kuala Lumpur", "吉隆坡", "KUL", "as", "my"),
    ("Sydney", "悉尼", "SYD", "oc", "au"), ("Melbourne", "墨尔本", "MEL", "oc", "au"),
    ("Auckland", "奥克兰", "AKL", "oc", "nz"), ("Beijing", "北京", "PEK", "cn", "cn"),
    ("Shanghai", "上海", "PVG", "cn", "cn"), ("Guangzhou", "广州", "CAN", "cn", "cn"),
    ("Shenzhen", "深圳", "SZX", "cn", "cn"), ("Chengdu", "成都", "TFU", "cn", "cn"),
    ("Hangzhou", "杭州", "HGH", "cn", "cn"), ("Xi'an", "西安", "XIY", "cn", "cn"),
    ("Chongqing", "重庆", "CKG", "cn", "cn"), ("Kunming", "昆明", "KMG", "cn", "cn"),
    ("Xiamen", "厦门", "XMN", "cn", "cn"), ("Nanjing", "南京", "NKG", "cn", "cn"),
    ("Wuhan", "武汉", "WUH", "cn", "cn"), ("Sanya", "三亚", "SYX", "cn", "cn"),
    ("Qingdao", "青岛", "TAO", "cn", "cn"), ("Changsha", "长沙", "CSX", "cn", "cn"),
    ("Harbin", "哈尔滨", "HRB", "cn", "cn"), ("Urumqi", "乌鲁木齐", "URC", "cn", "cn"),
    ("Lhasa", "拉萨", "LXA", "cn", "cn"), ("Dalian", "大连", "DLC", "cn", "cn"),
    ("Guilin", "桂林", "KWL", "cn", "cn"),
]
REGION_WEIGHT = {
    "en": {"na": 3.0, "eu": 3.0, "as": 1.5, "oc": 1.0, "me": 1.0, "cn": 0.7},
    "zh": {"na": 0.8, "eu": 0.8, "as": 1.2, "oc": 0.6, "me": 0.4, "cn": 5.0},
}
HUBS = ["Dubai", "Istanbul", "Frankfurt", "Amsterdam", "Singapore", "Hong Kong",
        "Seoul", "Tokyo", "London", "Paris", "Munich", "Zurich"]

# country key -> (English, Chinese); nationalities: (adjective, Chinese, country key)
COUNTRIES = {
    "us": ("the US", "美国"), "ca": ("Canada", "加拿大"), "uk": ("the UK", "英国"),
    "fr": ("France", "法国"), "de": ("Germany", "德国"), "nl": ("the Netherlands", "荷兰"),
    "es": ("Spain", "西班牙"), "it": ("Italy", "意大利"), "ch": ("Switzerland", "瑞士"),
    "ie": ("Ireland", "爱尔兰"), "tr": ("Turkey", "土耳其"), "ae": ("the UAE", "阿联酋"),
    "jp": ("Japan", "日本"), "kr": ("South Korea", "韩国"), "sg": ("Singapore", "新加坡"),
    "th": ("Thailand", "泰国"), "my": ("Malaysia", "马来西亚"), "au": ("Australia", "澳大利亚"),
    "nz": ("New Zealand", "新西兰"), "cn": ("China", "中国"), "vn": ("Vietnam", "越南"),
    "in": ("India", "印度"), "br": ("Brazil", "巴西"), "mx": ("Mexico", "墨西哥"),
    "eg": ("Egypt", "埃及"), "id": ("Indonesia", "印度尼西亚"),
}
NATIONALITIES = [
    ("US", "美国", "us"), ("Canadian", "加拿大", "ca"), ("British", "英国", "uk"),
    ("Indian", "印度", "in"), ("Chinese", "中国", "cn"), ("German", "德国", "de"),
    ("Brazilian", "巴西", "br"), ("Australian", "澳大利亚", "au"), ("Mexican", "墨西哥", "mx"),
    ("Filipino", "菲律宾", "ph"), ("French", "法国", "fr"), ("Irish", "爱尔兰", "ie"),
    ("Malaysian", "马来西亚", "my"), ("Japanese", "日本", "jp"),
]

# (code, English name, Chinese name, home region)
AIRLINES = [
    ("UA", "United", "美联航", "na"), ("AA", "American", "美国航空", "na"),
    ("DL", "Delta", "达美", "na"), ("AC", "Air Canada", "加航", "na"),
    ("BA", "British Airways", "英航", "eu"), ("AF", "Air France", "法航", "eu"),
    ("LH", "Lufthansa", "汉莎", "eu"), ("KL", "KLM", "荷航", "eu"),
    ("TK", "Turkish Airlines", "土耳其航空", "eu"), ("EK", "Emirates", "阿联酋航空", "me"),
    ("SQ", "Singapore Airlines", "新加坡航空", "as"), ("CX", "Cathay Pacific", "国泰", "as"),
    ("NH", "ANA", "全日空", "as"), ("JL", "JAL", "日航", "as"), ("KE", "Korean Air", "大韩航空", "as"),
    ("QF", "Qantas", "澳航", "oc"), ("CA", "Air China", "国航", "cn"),
    ("MU", "China Eastern", "东航", "cn"), ("CZ", "China Southern", "南航", "cn"),
    ("HU", "Hainan Airlines", "海航", "cn"), ("3U", "Sichuan Airlines", "川航", "cn"),
    ("ZH", "Shenzhen Airlines", "深航", "cn"), ("MF", "Xiamen Airlines", "厦航", "cn"),
    ("HO", "Juneyao Air", "吉祥航空", "cn"), ("9C", "Spring Airlines", "春秋航空", "cn"),
]

EN_FIRST = ["Emily", "James", "Priya", "Carlos", "Aisha", "Liam", "Sofia", "Noah", "Mei",
            "Daniel", "Fatima", "Lucas", "Hannah", "Omar", "Grace", "Mateo", "Chloe",
            "Ethan", "Yuki", "Olivia", "Ravi", "Isabella", "Kwame", "Anna", "Tom", "Leila"]
EN_LAST = ["Carter", "O'Neil", "Nair", "Mendez", "Khan", "Murphy", "Rossi", "Nguyen", "Chen",
           "Schmidt", "Okafor", "Silva", "Kowalski", "Johnson", "Tanaka", "Patel", "Garcia",
           "Dubois", "Larsen", "Brown", "Cohen", "Haddad", "Moreau", "Wright", "Novak"]
ZH_SURNAME = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马",
              "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋"]
ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛",
            "明", "超", "秀英", "晓东", "志强", "建华", "丽华", "子涵", "浩然", "欣怡",
            "梓轩", "雨桐", "思远", "佳琪", "一鸣"]
ZH_HANDLES = ["wangwei88", "lina_2019", "zhangmin.work", "chenjie", "liuyang1990",
              "yutong.h", "haoran_z", "xiaodong.li", "jq_zhou", "travel.sun"]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ZH_WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def _weighted(s, items, weights):
    return s.rng.choices(items, weights=weights, k=1)[0]


def _city(s, role, exclude=()):
    if role not in s.cities:
        taken = {c[0] for c in s.cities.values()} | set(exclude)
        pool = [c for c in CITIES if c[0] not in taken]
        weights = [REGION_WEIGHT[s.lang][c[3]] for c in pool]
        if s.lang == "zh" and role == "dest" and "origin" in s.cities \
                and s.cities["origin"][3] == "cn":
            weights = [w * (2.0 if c[3] == "cn" else 0.6) for c, w in zip(pool, weights)]
        s.cities[role] = _weighted(s, pool, weights)
    return s.cities[role]


def _city_maker(role):
    def make(s):
        c = _city(s, role)
        s[role + "_code"] = c[2]
        return c[0] if s.en() else c[1]
    return make


def _code_maker(role):
    def make(s):
        s[role]  # makes the city and stores its code
        return dict.__getitem__(s, role + "_code")
    return make


def make_via(s):
    country = s.memo.get("country_key")
    c = _city(s, "via", exclude=[x[0] for x in CITIES if x[0] not in HUBS or x[4] == country])
    return c[0] if s.en() else c[1]


def make_country(s):
    nat = s.memo.get("nationality_key")
    near = {c[4] for role, c in s.cities.items() if role in ("origin", "via")}
    keys = [k for k in COUNTRIES if k != nat and k not in near
            and not (s.lang == "zh" and k == "cn")]
    key = s.pick(keys)
    s.memo["country_key"] = key
    return COUNTRIES[key][0] if s.en() else COUNTRIES[key][1]


def _nationality(s, taken):
    country = s.memo.get("country_key")
    pool = [n for n in NATIONALITIES if n[2] != country and n[0] not in taken]
    if s.lang == "zh":  # Chinese speakers are mostly Chinese passport holders
        pool = pool + [n for n in pool if n[2] == "cn"] * 6
    return s.pick(pool)


def make_nationality(s):
    n = _nationality(s, ())
    s.memo["nationality_key"] = n[2]
    s.memo["nationality_name"] = n[0]
    return n[0] if s.en() else n[1]


def make_nationality2(s):
    s["nationality"]
    n = _nationality(s, (s.memo["nationality_name"],))
    return n[0] if s.en() else n[1]


def make_a_nationality(s):
    adj = s["nationality"]
    return ("an " if adj[0] in "AEIOU" and adj != "US" else "a ") + adj


def make_date(s):
    r = s.rng.random()
    if s.en():
        if r < 0.35:
            return s.pick(["tomorrow", "the day after tomorrow", "this weekend", "next weekend",
                           "in two weeks", "early next week", "later this month"])
        if r < 0.6:
            return s.pick(["next ", "this ", "on "]) + s.pick(WEEKDAYS)
        month, day = s.pick(MONTHS), s.rng.randint(1, 28)
        suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return s.pick([
            "on %s %d" % (month, day), "on %s %d" % (month[:3], day),
            "on %d %s" % (day, month), "on the %d%s of %s" % (day, suffix, month),
            "on %d/%d" % (MONTHS.index(month) + 1, day), "on %s %d%s" % (month, day, suffix),
        ])
    if r < 0.35:
        return s.pick(["明天", "后天", "大后天", "这个周末", "下周末", "月底", "下个月初",
                       "五一", "国庆", "元旦", "春节前"])
    if r < 0.6:
        return s.pick(["下周", "这周", "下个星期", "周"]) + s.pick(ZH_WEEKDAYS)
    month, day = s.rng.randint(1, 12), s.rng.randint(1, 28)
    return s.pick(["%d月%d日" % (month, day), "%d月%d号" % (month, day), "%d号" % day])


def make_day(s):  # the date as a noun: "March 14" where {date} is "on March 14"
    date = s["date"]
    if s.en() and date.startswith("on "):
        return date[3:]
    return "two weeks from now" if date == "in two weeks" else date


def make_Day(s):  # {day} at the start of a sentence
    day = s["day"]
    return day[:1].upper() + day[1:]


def make_past(s):  # when something already happened
    if s.en():
        if s.rng.random() < 0.3:
            return "on %s %d" % (s.pick(MONTHS), s.rng.randint(1, 28))
        return s.pick(["yesterday", "last week", "last night", "two days ago",
                       "over the weekend", "last " + s.pick(WEEKDAYS)])
    if s.rng.random() < 0.3:
        return "%d月%d号" % (s.rng.randint(1, 12), s.rng.randint(1, 28))
    return s.pick(["昨天", "前天", "上周", "上周末", "昨晚", "上周" + s.pick(ZH_WEEKDAYS)])


def make_soon(s):  # a date near enough for live status and check-in
    if s.en():
        return s.pick(["today", "tonight", "tomorrow", "this evening", "tomorrow morning",
                       "this afternoon"])
    return s.pick(["今天", "今晚", "明天", "明早", "今天下午", "明天上午"])


def make_date2(s):  # a return or later date, said relative to the first one
    if s.en():
        return s.pick(["a week later", "five days later", "the following Sunday",
                       "ten days later", "two weeks later", "three days later",
                       "the following Monday", "after a long weekend"])
    return s.pick(["一周后", "5天后", "下下周一", "十天后", "两周后", "三天后", "过完周末"])


def make_time(s):
    if s.en():
        return s.pick(["in the morning", "early morning", "after 6pm", "before noon",
                       "in the evening", "around lunchtime", "on a red-eye",
                       "in the late afternoon", "after 9am", "before 3 pm"])
    return s.pick(["上午", "早上", "下午", "晚上", "中午左右", "晚上8点以后", "红眼航班",
                   "早上9点前", "傍晚", "下午3点以后"])


def _clock(s):
    h, m = s.rng.randint(5, 23), s.pick([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55])
    if s.en():
        if s.rng.random() < 0.7:
            return "%d:%02d%s" % ((h - 1) % 12 + 1, m, s.pick(["am", " AM"]) if h < 12
                                  else s.pick(["pm", " PM"]))
        return "%02d:%02d" % (h, m)
    return "%02d:%02d" % (h, m)


def _currency(s):
    if s.currency is None:
        if s.en():
            s.currency = _weighted(s, ["USD", "EUR", "CNY"], [0.72, 0.2, 0.08])
        else:
            s.currency = _weighted(s, ["CNY", "USD", "EUR"], [0.84, 0.1, 0.06])
    return s.currency


ZH_THOUSANDS = {2000: "两千", 3000: "三千", 4000: "四千", 5000: "五千", 8000: "八千", 1000: "一千"}


def _money(s, amount):
    cur = _currency(s)
    if s.en():
        if cur == "USD":
            return s.pick(["$%s", "$%s", "%s USD"]) % format(amount, ",")
        if cur == "EUR":
            return s.pick(["€%s", "%s EUR", "%s euros"]) % format(amount, ",")
        return s.pick(["¥%s", "%s CNY", "%s yuan"]) % format(amount, ",")
    if cur == "CNY":
        if amount in ZH_THOUSANDS and s.rng.random() < 0.4:
            return ZH_THOUSANDS[amount] + s.pick(["元", "块"])
        return "%d%s" % (amount, s.pick(["元", "元", "块"]))
    return "%d%s" % (amount, "美元" if cur == "USD" else "欧元")


def _amount(s, lo, hi):
    step = 100 if _currency(s) == "CNY" else 10
    scale = 7 if _currency(s) == "CNY" else 1
    return s.rng.randint(lo * scale // step, hi * scale // step) * step


def make_budget(s):
    s.memo["budget_amount"] = a = _amount(s, 150, 2400)
    return _money(s, a)


def make_price(s):
    top = s.memo.get("budget_amount")
    if top:
        a = int(top * s.rng.uniform(0.55, 0.95)) // 10 * 10 or 10
    else:
        a = _amount(s, 90, 1800)
        if _currency(s) != "CNY" and s.rng.random() < 0.5:
            a -= 1  # $389 rather than $390
    s.memo["price_amount"] = a
    return _money(s, a)


def make_price2(s):
    return _money(s, _amount(s, 90, 1800))


def make_target(s):  # a target fare below the quoted price
    s["price"]
    a = int(s.memo["price_amount"] * s.rng.uniform(0.6, 0.85)) // 10 * 10 or 10
    return _money(s, a)


def make_fee(s):
    return _money(s, _amount(s, 40, 300))


def make_ref(s):
    letters, alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ", "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return s.pick(letters) + "".join(s.pick(alnum) for _ in range(5))


def make_airline(s):
    a = _airline(s)
    return a[1] if s.en() else a[2]


def _airline(s):
    if "airline" not in s.memo:
        w = [2.5 if (a[3] == "cn") == (s.lang == "zh") else 1.0 for a in AIRLINES]
        s.memo["airline"] = _weighted(s, AIRLINES, w)
    return s.memo["airline"]


def _flight_number(s, airline):
    digits = _weighted(s, [1, 2, 3, 4], [0.05, 0.25, 0.4, 0.3])
    n = s.rng.randint(10 ** (digits - 1), 10 ** digits - 1)
    sep = " " if s.en() and s.rng.random() < 0.15 else ""
    return "%s%s%d" % (airline[0], sep, n)


def make_flight(s):
    return _flight_number(s, _airline(s))


def make_flight2(s):
    return _flight_number(s, _airline(s) if s.rng.random() < 0.5 else s.pick(AIRLINES))


def make_pax(s):
    if s.en():
        first, last = s.pick(EN_FIRST), s.pick(EN_LAST)
        s["last"] = last
        return "%s %s" % (first, last)
    name = s.pick(ZH_SURNAME) + s.pick(ZH_GIVEN)
    s["last"] = name[0]
    return name


def make_last(s):
    s["pax"]
    return dict.__getitem__(s, "last")


def make_pax2(s):
    first = s["pax"]
    while True:
        other = (s.pick(EN_FIRST) + " " + s.pick(EN_LAST)) if s.en() else \
            (s.pick(ZH_SURNAME) + s.pick(ZH_GIVEN))
        if other != first:
            return other


def make_n_pax(s):
    if s.en():
        return s.pick(["two adults", "2 people", "three people", "a family of four",
                       "two adults and a child", "4 passengers", "two adults and two kids",
                       "five colleagues", "3 adults"])
    return s.pick(["两个大人", "3个人", "一家四口", "两大一小", "4位乘客", "两位成人",
                   "5个同事", "三个大人"])


def make_cabin(s):
    if s.en():
        return s.pick(["economy", "economy", "premium economy", "business class",
                       "first class"])
    return s.pick(["经济舱", "经济舱", "超级经济舱", "商务舱", "头等舱"])


def make_upcabin(s):  # a cabin worth upgrading to
    if s.en():
        return s.pick(["business class", "business class", "first class", "premium economy"])
    return s.pick(["商务舱", "商务舱", "头等舱", "超级经济舱"])


def make_seat(s):
    return "%d%s" % (s.rng.randint(1, 45), s.pick("ABCDEFHJK"))


def make_a_seat(s):
    if s.en():
        return s.pick(["a window seat", "an aisle seat", "an exit-row seat",
                       "a seat with extra legroom", "a seat near the front",
                       "a bulkhead seat", "a window seat on the left side"])
    return s.pick(["靠窗的座位", "靠过道的位置", "安全出口那排的座位", "前排的座位",
                   "腿部空间大一点的位置", "第一排的座位", "左边靠窗的位置"])


def make_bag_item(s):
    if s.en():
        return s.pick(["golf clubs", "a surfboard", "skis", "a guitar", "a stroller",
                       "a bike", "a power bank", "an extra suitcase", "a cat in a carrier",
                       "two bottles of wine", "a drone", "a car seat", "a cello"])
    return s.pick(["高尔夫球包", "冲浪板", "滑雪板", "吉他", "婴儿车", "自行车", "充电宝",
                   "一个额外的行李箱", "宠物猫", "两瓶红酒", "无人机", "儿童安全座椅", "大提琴"])


def make_weight(s):
    kg = s.rng.randint(18, 34)
    if s.en():
        return s.pick(["%d kg" % kg, "%dkg" % kg, "%d lbs" % int(kg * 2.2)])
    return s.pick(["%d公斤" % kg, "%dkg" % kg, "%d斤" % (kg * 2)])


def make_member(s):
    prefix = s.pick(["", "", "MP", "FF", "SK"])
    return prefix + "".join(str(s.rng.randint(0, 9)) for _ in range(s.pick([8, 9, 10])))


def make_points(s):
    n = s.rng.randint(5, 250) * 1000 + s.pick([0, 0, 500])
    if s.en():
        return format(n, ",")
    return ("%.1f万" % (n / 10000.0)).replace(".0万", "万") if n >= 10000 and s.rng.random() < 0.4 \
        else str(n)


def make_need(s):
    if s.en():
        return s.pick(["a wheelchair to the gate", "wheelchair assistance", "a bassinet",
                       "a vegetarian meal", "a halal meal", "a gluten-free meal",
                       "help at the connecting gate", "an escort through security",
                       "boarding help for a visually impaired passenger", "priority boarding",
                       "approval for a portable oxygen concentrator", "a diabetic meal",
                       "a meet-and-assist service"])
    return s.pick(["轮椅服务", "婴儿摇篮", "素食餐", "清真餐", "无糖餐", "登机协助",
                   "机场轮椅送到登机口", "转机协助", "视障旅客陪同服务", "优先登机",
                   "携带便携式制氧机的审批", "低盐餐", "接送机协助"])


def make_care(s):  # help for an older or less mobile traveller
    if s.en():
        return s.pick(["a wheelchair to the gate", "wheelchair assistance", "priority boarding",
                       "an escort through security", "help at the connecting gate",
                       "a meet-and-assist service"])
    return s.pick(["轮椅服务", "机场轮椅送到登机口", "登机协助", "转机协助", "优先登机",
                   "全程陪同服务"])


def make_delay(s):
    if s.en():
        return s.pick(["three hours", "90 minutes", "five hours", "four hours", "two hours"])
    return s.pick(["三个小时", "90分钟", "五个多小时", "四个小时", "两个小时"])


def make_email(s):
    if s.en():
        s["pax"]
        first = s["pax"].split()[0].lower()
        return "%s.%s@%s" % (first, s["last"].lower().replace("'", ""),
                             s.pick(["example.com", "example.org", "example.net"]))
    return "%s@%s" % (s.pick(ZH_HANDLES), s.pick(["example.com", "example.cn", "example.net"]))


MAKERS = {
    "origin": _city_maker("origin"), "dest": _city_maker("dest"),
    "origin_code": _code_maker("origin"), "dest_code": _code_maker("dest"),
    "via": make_via, "country": make_country,
    "nationality": make_nationality, "nationality2": make_nationality2,
    "a_nationality": make_a_nationality,
    "date": make_date, "day": make_day, "soon": make_soon, "past": make_past, "Day": make_Day, "date2": make_date2, "time": make_time,
    "dep_time": _clock, "dep_time2": _clock,
    "budget": make_budget, "price": make_price, "price2": make_price2,
    "target": make_target, "fee": make_fee,
    "ref": make_ref, "new_ref": make_ref,
    "airline": make_airline, "flight": make_flight, "flight2": make_flight2,
    "pax": make_pax, "pax2": make_pax2, "last": make_last, "n_pax": make_n_pax,
    "cabin": make_cabin, "upcabin": make_upcabin, "seat": make_seat, "a_seat": make_a_seat,
    "bag_item": make_bag_item, "weight": make_weight,
    "member": make_member, "points": make_points, "need": make_need, "care": make_care,
    "delay": make_delay, "email": make_email,
    "card": lambda s: "%04d" % s.rng.randint(0, 9999),
    "gate": lambda s: "%s%d" % (s.pick("ABCDEGK"), s.rng.randint(1, 60)),
    "group": lambda s: str(s.rng.randint(12, 45)),
    "months": lambda s: str(s.rng.randint(2, 7)),
    "hours": lambda s: str(s.rng.randint(2, 14)),
    "weeks": lambda s: str(s.rng.randint(24, 35)),
    "child_age": lambda s: str(s.rng.randint(3, 20)),
    "n_options": lambda s: str(s.rng.randint(3, 9)) if s.en() else
        s.pick(["3", "4", "5", "6", "几"]),
}


# --------------------------------------------------------------------------
# Noise: the typos and informal phrasing of real requests

EN_SLANG = [
    (r"\bplease\b", "pls"), (r"\bPlease\b", "pls"), (r"\byou\b", "u"), (r"\btomorrow\b", "tmrw"),
    (r"\bthanks\b", "thx"), (r"\bwant to\b", "wanna"), (r"\bgoing to\b", "gonna"),
    (r"\bI'm\b", "im"), (r"\bdon't\b", "dont"), (r"\bcan't\b", "cant"), (r"\bbecause\b", "cuz"),
    (r"\bflight\b", "flihgt"), (r"\bflights\b", "fligths"), (r"\bbaggage\b", "bagage"),
    (r"\bcancel\b", "cancell"), (r"\bavailable\b", "availible"), (r"\brefund\b", "refnud"),
    (r"\btonight\b", "tonite"), (r"\bWhat's\b", "whats"), (r"\bseparate\b", "seperate"),
    (r"\bluggage\b", "lugage"), (r"\btomorrow\b", "tomorow"), (r"\bschedule\b", "schedual"),
    (r"\bbooking\b", "bookign"), (r"\breservation\b", "reservaton"), (r"\bare\b", "r"),
]
ZH_TYPOS = [("预订", "预定"), ("行李", "行礼"), ("登机", "登记"), ("已经", "以经"),
            ("座位", "坐位"), ("托运", "拖运"), ("里程", "历程"), ("值机", "直机"),
            ("订单号", "单号"), ("帮我", "帮忙"), ("值机", "check in"), ("查一下", "check一下"),
            ("航班", "flight"), ("什么", "啥"), ("怎么", "咋")]


def add_noise(text, lang, rng):
    """A sloppier version of `text`, or `text` itself when no change applied."""
    out = text
    if lang == "en":
        ops = rng.sample(["lower", "slang", "swap", "drop", "punct"], rng.choice([1, 2]))
        for op in ops:
            if op == "lower":
                out = out.lower().rstrip(".!?")
            elif op == "slang":
                hits = [(p, r) for p, r in EN_SLANG if re.search(p, out)]
                if hits:
                    p, r = rng.choice(hits)
                    out = re.sub(p, r, out, count=1)
            elif op in ("swap", "drop"):
                words = [m for m in re.finditer(r"\b[a-z]{5,}\b", out)]
                if words:
                    m = rng.choice(words)
                    w = m.group()
                    k = rng.randint(1, len(w) - 3)
                    w = w[:k] + w[k + 1] + w[k] + w[k + 2:] if op == "swap" else w[:k] + w[k + 1:]
                    out = out[:m.start()] + w + out[m.end():]
            else:
                out = out.rstrip(".!?") + rng.choice(["??", "!!", "...", " ?", "!!!"])
    else:
        ops = rng.sample(["typo", "strip", "particle"], rng.choice([1, 2]))
        for op in ops:
            if op == "typo":
                hits = [(a, b) for a, b in ZH_TYPOS if a in out]
                if hits:
                    a, b = rng.choice(hits)
                    out = out.replace(a, b, 1)
            elif op == "strip":
                out = out.rstrip("。！？，")
            else:
                out = out.rstrip("。！？，")
                if out.endswith(("吗", "呢", "吧", "没", "么")):
                    out += rng.choice(["？？", "~", "？谢啦", "？？？"])
                else:
                    out += rng.choice(["呀", "哈", "啊", "~", "！！", "谢啦", "，谢谢"])
    return out


# --------------------------------------------------------------------------
# Assembling records


TOPIC = re.compile(r"^([a-z0-9_,]+)\|")


def split_topic(text):
    """"late,when|text" -> ({"late", "when"}, "text"); plain text -> (None, text)."""
    m = TOPIC.match(text)
    if not m:
        return None, text
    return set(m.group(1).split(",")), text[m.end():]


def parse_ask(template):
    """"2|text" or "2|topic|text" -> (level, topic or None, text)."""
    level, rest = template.split("|", 1)
    topics, text = split_topic(rest)
    return int(level), (topics.pop() if topics else None), text


# Slots that say the same thing: a reply may use one when the request used the other.
SAME_SLOT = {"origin": "origin_code", "origin_code": "origin", "dest": "dest_code",
             "dest_code": "dest", "a_nationality": "nationality", "day": "date",
             "Day": "date", "date": "day"}


def mentioned(*templates):
    """The slots that the given templates name, with their equivalents."""
    names = set()
    for t in templates:
        names |= placeholders(t)
    return names | {SAME_SLOT[n] for n in names if n in SAME_SLOT}


def fitting(options, used, topic=None):
    """The texts among `options` that may answer a request on `topic` whose
    slots are `used`: those marked with the topic if any fit, else the
    unmarked ones. Each text's slots must all have been mentioned (or be free)."""
    def fits(wanted):
        out = []
        for option in options:
            marks, text = split_topic(option)
            on_topic = wanted in marks if marks else wanted is None
            if on_topic and placeholders(text) <= used | FREE_SLOTS:
                out.append(text)
        return out
    return (fits(topic) if topic else []) or fits(None)


def choose_text(rng, options, used, what, topic=None):
    """One of the fitting texts, preferring the ones that echo more of what
    was said."""
    fits = fitting(options, used, topic)
    if not fits:
        raise RuntimeError("no %s fits slots %s among %r" % (what, sorted(used), options[:2]))
    weights = [1 + len(placeholders(t) & used) for t in fits]
    return rng.choices(fits, weights=weights, k=1)[0]


def check_templates():
    """Every request must have a reply and a reason that fit its slots, and
    every slot must have a maker. Returns a list of problems."""
    problems = []

    def check(where, asks, says, whys):
        asked = set()
        for ask in asks:
            topic = None
            if isinstance(ask, tuple):
                topic, ask = ask
                asked.add(topic)
            texts = ask if isinstance(ask, list) else [ask]
            if any("|" in x for x in texts):
                problems.append("%s: stray '|' in %r" % (where, ask))
            used = mentioned(*texts)
            for name in used:
                if name not in MAKERS:
                    problems.append("%s: unknown slot {%s}" % (where, name))
            if not fitting(says, used, topic):
                problems.append("%s: no reply fits %r" % (where, ask))
            if not fitting(whys, used, topic):
                problems.append("%s: no reason fits %r" % (where, ask))
        for option in says + whys:
            topics, text = split_topic(option)
            if topics and not topics <= asked:
                problems.append("%s: no request has topic %s" % (where, sorted(topics - asked)))
            for name in placeholders(text):
                if name not in MAKERS:
                    problems.append("%s: unknown slot {%s}" % (where, name))

    for action, langs in INTENTS.items():
        for lang, groups in langs.items():
            for i, g in enumerate(groups):
                check("%s/%s group %d" % (action, lang, i),
                      [parse_ask(a)[1:] for a in g["ask"]], g["say"], g["why"])
    for lang, chains in CHAINS.items():
        for c in chains:
            check("chain %s/%s" % (c["action"], lang), c["turns"], c["say"], c["why"])
    for lang, cases in AMBIGUOUS.items():
        for c in cases:
            check("ambiguous %s/%s" % (c["action"], lang), c["ask"], c["say"], c["why"])
    return problems


def pick_ask(rng, action, lang, max_level=3):
    """A (group, level, topic, template) for a request, uniform over templates."""
    pairs = [(g, t) for g in INTENTS[action][lang] for t in g["ask"]
             if parse_ask(t)[0] <= max_level]
    group, template = rng.choice(pairs)
    return (group,) + parse_ask(template)


def single_record(rng, lang, action):
    s = Slots(rng, lang)
    group, level, topic, ask = pick_ask(rng, action, lang)
    context = fill(ask, s)
    used = mentioned(ask)
    say = fill(choose_text(rng, group["say"], used, "reply", topic), s)
    why = fill(choose_text(rng, group["why"], used, "reason", topic), s)
    return context, say, why, level, []


def dialogue_record(rng, lang, action):
    s = Slots(rng, lang)
    chains = [c for c in CHAINS[lang] if c["action"] == action]
    if chains and rng.random() < 0.4:
        chain = rng.choice(chains)
        templates = rng.choice(chain["turns"])
        turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": fill(t, s)}
                 for i, t in enumerate(templates)]
        used = mentioned(*templates)
        say = fill(choose_text(rng, chain["say"], used, "reply"), s)
        why = fill(choose_text(rng, chain["why"], used, "reason"), s)
        return turns, say, why, 3, ["multi-turn"]

    pattern = rng.choices(["greet", "clarify", "switch", "switch2", "greet_clarify"],
                          weights=[0.2, 0.25, 0.25, 0.15, 0.15], k=1)[0]
    text = DIALOGUE_TEXT[lang]
    turns = []
    if pattern in ("greet", "greet_clarify"):
        turns.append(("assistant", rng.choice(text["greet"])))
    if pattern in ("clarify", "greet_clarify"):
        turns.append(("user", rng.choice(text["vague"])))
        turns.append(("assistant", rng.choice(text["probe"])))
    prev_actions = []
    used = set()
    if pattern in ("switch", "switch2"):
        for _ in range(1 if pattern == "switch" else 2):
            others = [a for a in ACTION_WEIGHTS if a != action and a not in prev_actions]
            prev = rng.choice(others)
            prev_actions.append(prev)
            g, _, prev_topic, ask = pick_ask(rng, prev, lang, max_level=2)
            turns.append(("user", fill(ask, s)))
            used |= mentioned(ask)
            reply = choose_text(rng, g["say"], used, "reply", prev_topic)
            turns.append(("assistant", fill(reply, s)))
            used |= mentioned(reply)
    group, _, topic, ask = pick_ask(rng, action, lang, max_level=2)
    last = fill(ask, s)
    if prev_actions and rng.random() < 0.6:
        last = rng.choice(text["connect"]) + last
    turns.append(("user", last))
    used |= mentioned(ask)
    say = fill(choose_text(rng, group["say"], used, "reply", topic), s)
    why = fill(choose_text(rng, group["why"], used, "reason", topic), s)
    desc = DESC[lang]
    if prev_actions:
        lead = text["why_switch"].format(prev=desc[prev_actions[-1]], cur=desc[action])
    elif pattern == "greet":
        lead = text["why_greet"].format(cur=desc[action])
    else:
        lead = text["why_clarify"].format(cur=desc[action])
    context = [{"role": r, "content": c} for r, c in turns]
    return context, say, lead + why, 3, ["multi-turn"]


def ambiguous_record(rng, lang):
    case = rng.choice(AMBIGUOUS[lang])
    s = Slots(rng, lang)
    ask = rng.choice(case["ask"])
    context = fill(ask, s)
    used = mentioned(ask)
    say = fill(choose_text(rng, case["say"], used, "reply"), s)
    why = fill(choose_text(rng, case["why"], used, "reason"), s)
    return case["action"], context, say, why, 3, ["ambiguous"]


def generate(seed, count):
    rng = random.Random(seed)
    actions = list(ACTION_WEIGHTS)
    weights = [ACTION_WEIGHTS[a] for a in actions]
    seen = set()
    records = []
    while len(records) < count:
        for _ in range(200):  # a few contexts come out twice; draw again
            lang = "zh" if rng.random() < P_CHINESE else "en"
            kind = rng.random()
            if kind < P_AMBIGUOUS:
                action, context, say, why, level, tags = ambiguous_record(rng, lang)
            else:
                action = rng.choices(actions, weights=weights, k=1)[0]
                make = dialogue_record if kind < P_AMBIGUOUS + P_DIALOGUE else single_record
                context, say, why, level, tags = make(rng, lang, action)
            if rng.random() < P_NOISE and "ambiguous" not in tags:
                if isinstance(context, list):
                    noisy = add_noise(context[-1]["content"], lang, rng)
                    if noisy != context[-1]["content"]:
                        context[-1]["content"] = noisy
                        tags = tags + ["noisy"]
                else:
                    noisy = add_noise(context, lang, rng)
                    if noisy != context:
                        context, tags = noisy, tags + ["noisy"]
            key = json.dumps(context, ensure_ascii=False)
            if key not in seen:
                break
        else:
            raise RuntimeError("could not make %d distinct records; lower --count" % count)
        seen.add(key)
        rec = {"id": "flt-%05d" % (len(records) + 1), "context": context,
               "agent_action": action, "expected_response": say, "reasoning": why}
        if rng.random() >= P_NO_COMPLEXITY:
            rec["complexity"] = level
        if tags:
            rec["tags"] = tags
        records.append(rec)
    return records


def is_chinese(rec):
    text = rec["context"] if isinstance(rec["context"], str) else rec["context"][-1]["content"]
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def print_stats(records, out):
    by_action = Counter(r["agent_action"] for r in records)
    zh = sum(1 for r in records if is_chinese(r))
    print("%d records: %d English, %d Chinese" % (len(records), len(records) - zh, zh), file=out)
    turns = Counter(len(r["context"]) for r in records if isinstance(r["context"], list))
    print("multi-turn: %d %s" % (sum(turns.values()), dict(sorted(turns.items()))), file=out)
    tags = Counter(t for r in records for t in r.get("tags", []))
    print("tags: %s" % dict(sorted(tags.items())), file=out)
    cx = Counter(r.get("complexity", "none") for r in records)
    print("complexity: %s" % {k: cx[k] for k in (1, 2, 3, "none")}, file=out)
    for action, n in by_action.most_common():
        amb = sum(1 for r in records if r["agent_action"] == action
                  and "ambiguous" in r.get("tags", []))
        print("  %-20s %5d  (%d ambiguous)" % (action, n, amb), file=out)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description="Generate the flight-agent example dataset.")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--count", type=int, default=3600, help="number of records (default 3600)")
    p.add_argument("--out", default=os.path.join(here, "data.jsonl"),
                   help="output file (default data.jsonl beside this script)")
    p.add_argument("--stats", action="store_true", help="print counts to stderr")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    problems = check_templates()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    records = generate(args.seed, args.count)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    if args.stats:
        print_stats(records, sys.stderr)
    return 0


# --------------------------------------------------------------------------
# Text. In "ask", the number before the bar is the complexity: 1 a short,
# direct request, 2 several slots or constraints, 3 many constraints.

INTENTS = {}

INTENTS["search_flights"] = {
    "en": [
        {"ask": [
            "1|Find me a flight from {origin} to {dest} {date}.",
            "1|Any flights to {dest} {date}?",
            "1|flights {origin} to {dest}?",
            "1|What's available from {origin_code} to {dest_code} {date}?",
            "1|Show me options to fly to {dest}.",
            "1|Search flights to {dest} {date}",
            "2|I need to get from {origin} to {dest} {date}, ideally {time}.",
            "2|nonstop|Are there any nonstop flights between {origin} and {dest} {date}?",
            "2|We're thinking about a trip to {dest} {date} - what leaves from {origin} {time}?",
            "2|earliest|Hey, what's the earliest flight out of {origin} to {dest} {date}?",
            "2|nonstop|Which airlines fly {origin} to {dest} direct? Looking at {day}.",
            "2|Can you check one-way fares from {origin} to {dest} {date} for {n_pax}?",
         ],
         "say": [
            "Sure, searching flights from {origin} to {dest} {date} now.",
            "Let me look up flights to {dest} {date}. One moment!",
            "On it - I'll search {origin} to {dest} {date} and list the {time} departures first.",
            "Checking nonstop and one-stop options from {origin} to {dest} {date}.",
            "Here's what I'm searching: {origin_code} to {dest_code}, {date}. Nonstop flights will be listed first.",
            "I'll search available flights for {n_pax} from {origin} to {dest} {date}.",
            "Let me see what's available and show you the best matches.",
            "earliest|I'll look for the earliest departures from {origin} to {dest} {date}.",
            "nonstop|Checking which airlines fly nonstop from {origin} to {dest} {date}.",
         ],
         "why": [
            "The user wants to see flight options from {origin} to {dest}; nothing is chosen yet, so search before booking.",
            "A request for available flights to {dest} with no flight picked yet is a search.",
            "They are asking what flights exist {date}, not to buy one, so search_flights.",
            "The user names a route and a time window and asks for options: search_flights.",
            "Looking for flights to choose from is a search; booking comes after they pick one.",
         ]},
        {"ask": [
            "2|Looking for the cheapest way to fly {origin} to {dest} {date}. Budget is around {budget}.",
            "2|What's the cheapest {cabin} seat from {origin} to {dest} {date}?",
            "2|I'm flexible on dates, just want the lowest fare {origin} to {dest} sometime {date}.",
            "2|Anything under {budget} from {origin} to {dest}?",
            "2|Cheapest round trip to {dest}, leaving {date} and back {date2}?",
            "3|I need a round trip {origin} to {dest}, leaving {date} and coming back {date2}, {cabin}, {n_pax}, under {budget} total if possible.",
            "3|Looking for flights from {origin} to {dest} {date}, {time}, nonstop only, no more than {budget} per person, and I'd prefer {airline}.",
            "3|My company needs to send a small team to {dest} from {origin} {date}; we must land before noon, {cabin}, max {budget} each.",
            "3|Find me {cabin} from {origin} to {dest} {date} {time}, max one stop, at least 90 minutes for the connection, and under {budget}.",
         ],
         "say": [
            "Let me pull up {origin} to {dest} options {date} and keep it under {budget}.",
            "Searching round trips from {origin} to {dest}, out {date} and back {date2}; I'll filter to fares under {budget}.",
            "Checking {cabin} fares from {origin} to {dest} {date}, sorted by price.",
            "Searching round trips to {dest}, out {date} and back {date2}, cheapest first.",
            "I'll search {origin} to {dest} {date} with your limits and show the cheapest matches first.",
            "Looking for the lowest fares to {dest} now; I'll flag anything within {budget}.",
            "Searching {airline} and other carriers from {origin} to {dest} {date}, nonstop only, within {budget}.",
         ],
         "why": [
            "The user gives a budget of {budget} and a route and wants options, so search_flights with a price filter.",
            "Several constraints ({cabin}, dates, budget) narrow a search; nothing is booked yet.",
            "Comparing fares to find the cheapest is a search, not a booking.",
            "They want flights from {origin} to {dest} that fit a budget of {budget}: search first.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|帮我查一下{date}{origin}到{dest}的航班。",
            "1|{date}去{dest}有什么航班？",
            "1|{origin}飞{dest}的机票查一下",
            "1|有没有{date}去{dest}的飞机？",
            "1|查机票，{origin}到{dest}",
            "2|我想{date}{time}从{origin}飞{dest}，帮我看看有哪些航班。",
            "2|查一下{date}{origin}直飞{dest}的航班，最好是{airline}的。",
            "2|{date}有从{origin_code}飞{dest_code}的早班机吗？",
            "2|下周想去{dest}玩，从{origin}出发，{time}的航班有吗？",
            "2|earliest|{origin}到{dest}{date}最早的一班是几点？",
         ],
         "say": [
            "好的，正在为您查询{date}{origin}到{dest}的航班。",
            "马上帮您查{date}飞往{dest}的航班，请稍等。",
            "正在搜索{origin}到{dest}的航班，{time}出发的会优先列出来。",
            "好的，我来查{origin_code}到{dest_code}{date}的航班，直飞的排在前面。",
            "稍等，我帮您看看有哪些合适的航班。",
            "earliest|我查一下{date}{origin}到{dest}最早的航班。",
         ],
         "why": [
            "用户想看{origin}到{dest}有哪些航班，还没选定，先查询。",
            "问的是有没有去{dest}的航班，属于查询，不是下单。",
            "给出了航线和时间，要的是可选航班列表，所以是search_flights。",
            "用户还在挑选阶段，应先查航班，订票在选好之后。",
         ]},
        {"ask": [
            "2|{origin}到{dest}，{date}，预算{budget}以内，有合适的吗？",
            "2|{n_pax}{date}从{origin}去{dest}，{cabin}多少钱？",
            "2|最便宜的{origin}到{dest}机票是哪天？这个月内都行。",
            "2|{budget}以内能飞{dest}吗？从{origin}走。",
            "3|帮我找{origin}往返{dest}的机票：{date}去，{date2}回，{n_pax}，{cabin}，总价别超过{budget}，最好直飞。",
            "3|公司要派几个同事{date}从{origin}去{dest}开会，中午前要到，只要{airline}的，每人预算{budget}。",
            "3|{date}{time}从{origin}到{dest}，{cabin}，最多转一次，转机时间不少于一个半小时，{budget}以内。",
         ],
         "say": [
            "好的，帮您查{origin}到{dest}的航班，只看{budget}以内的。",
            "正在查询{origin}往返{dest}的机票，{date}去、{date2}回，按总价{budget}以内筛选。",
            "我来按价格从低到高查一下{origin}到{dest}的{cabin}。",
            "收到，按您的条件搜索{origin}飞{dest}的航班，最便宜的排在前面。",
            "正在比较各航司{origin}到{dest}的价格，稍等。",
         ],
         "why": [
            "用户给了预算{budget}和航线，想看符合条件的选项，先做带价格筛选的查询。",
            "条件较多（{cabin}、日期、预算），但还没选定航班，仍是查询。",
            "比价找最便宜的票属于查询，不是订票。",
         ]},
    ],
}

INTENTS["book_flight"] = {
    "en": [
        {"ask": [
            "1|Book {flight} for me please.",
            "1|Book {flight}.",
            "1|I'd like to book the {dep_time} flight to {dest}.",
            "2|Please book {flight} {date} for {pax}.",
            "2|ok let's do {flight} at {dep_time}, name is {pax}",
            "2|Lock in {flight} for {pax}, passport name exactly as written.",
            "2|open|I want to buy a ticket on {airline} from {origin} to {dest} {date}.",
            "2|open|Can you book a one-way ticket {origin} to {dest} {date} {time} for {pax}?",
            "2|Reserve seats on {flight} {date} for {n_pax}, {cabin}.",
            "2|open|Book me on the cheapest {origin}-{dest} flight {date}, any airline is fine.",
         ],
         "say": [
            "Done! {pax} is booked on {flight} {date}. Your booking reference is {new_ref}.",
            "You're all set on {flight}. Confirmation code: {new_ref}.",
            "I've booked {flight} {date} for {n_pax} in {cabin}; reference {new_ref}. A confirmation email is on its way.",
            "Booking the {dep_time} flight to {dest} now - I'll confirm as soon as the ticket is issued.",
            "Great choice. I'm booking {origin} to {dest} {date} for {pax}; you'll get reference {new_ref} by email.",
            "Booked! Your reference is {new_ref}. Want me to pick seats or add bags?",
            "open|Sure. I'll book the best match from {origin} to {dest} {date} and confirm the flight and price before ticketing.",
            "open|I'll pick a {airline} flight from {origin} to {dest} {date} and book it for you; you'll get the details before I pay.",
            "open|Booking {pax} on the most suitable {origin} to {dest} flight {date}; I'll send the flight details and reference once it's ticketed.",
         ],
         "why": [
            "The user has picked a specific flight ({flight}) and wants it reserved, so book_flight.",
            "They ask to buy a ticket, not to browse options: book_flight.",
            "A named passenger ({pax}) and a chosen flight ({flight}) mean the user is ready to book.",
            "open|The user wants a ticket bought for this route and date, not a list to browse, so book_flight; the agent picks the flight that fits.",
            "The request is to reserve a seat on a flight, which is a booking.",
         ]},
        {"ask": [
            "3|Please book a return trip for {pax} and {pax2}: {origin} to {dest} {date}, back {date2}, {cabin}, aisle seats, card ending {card}.",
            "3|Book {flight} {date} for {n_pax}, {cabin}, total under {budget}, and add one checked bag each.",
            "3|Go ahead and book {origin} to {dest} {date} {time} for {pax}, {cabin}, with the flexible fare, and send the e-ticket to {email}.",
            "2|Book the same trip as last time, {origin} to {dest}, but {date}.",
         ],
         "say": [
            "Booked: {pax} and {pax2}, {origin} to {dest} {date}, returning {date2}, in {cabin}. Reference {new_ref}; the card ending {card} has been charged.",
            "Done - {flight} {date} for {n_pax} in {cabin}, each with a checked bag, within your {budget} limit. Reference {new_ref}.",
            "All booked with the flexible fare. Reference {new_ref}; the e-ticket is going to {email}.",
            "I've booked {origin} to {dest} {date}. Your new reference is {new_ref}.",
         ],
         "why": [
            "The user gives everything needed to ticket (passengers, route, dates, cabin, payment), so book_flight.",
            "All details are fixed and the user says to book; extras like bags are part of the same booking.",
            "This is a purchase with several constraints, not a search: book_flight.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|帮我订{flight}。",
            "1|open|我要订{date}去{dest}的机票。",
            "1|订{flight}，谢谢",
            "2|帮{pax}订一张{date}{flight}的票。",
            "2|就订{dep_time}那班吧，乘机人{pax}。",
            "2|open|帮我买一张{date}{time}{origin}飞{dest}的单程票，要{airline}的。",
            "2|我确定了，就要{date}的{flight}，身份证上名字是{pax}。",
            "2|订{n_pax}{date}{origin}到{dest}的{cabin}。",
         ],
         "say": [
            "已为{pax}预订{date}的{flight}，订单号{new_ref}。",
            "好的，{flight}已订好，订单号{new_ref}，确认短信稍后发到您手机上。",
            "正在为您预订{dep_time}那班去{dest}的航班，出票后马上通知您。",
            "已帮您订好{date}{origin}到{dest}的机票，订单号{new_ref}。",
            "订好了！订单号{new_ref}。需要帮您选座或加行李吗？",
            "已为{n_pax}订好{cabin}，订单号{new_ref}。",
            "open|好的，我按{date}{origin}到{dest}挑一班合适的，确认航班和价格后再出票。",
            "open|好的，我先帮您挑一班{date}去{dest}的航班，确认后出票。",
         ],
         "why": [
            "用户已选定{flight}并要求下单，所以是book_flight。",
            "明确说要买票/订票，不是查询。",
            "给了乘机人{pax}和具体航班{flight}，信息齐全，可以直接预订。",
            "open|用户要的是直接买票而不是看列表，助手挑一班合适的航班下单：book_flight。",
         ]},
        {"ask": [
            "3|订往返：{origin}到{dest}，{date}出发，{date2}返回，乘客{pax}和{pax2}，{cabin}，要靠过道，用尾号{card}的卡付款。",
            "3|{flight}，{date}，{n_pax}，{cabin}，每人加一件托运行李，总价控制在{budget}以内，帮我订上。",
            "3|帮{pax}订{date}{time}{origin}飞{dest}的{cabin}，要可改签的票价，行程单发到{email}。",
            "2|还是上次那条线，{origin}到{dest}，改成{date}，帮我订。",
         ],
         "say": [
            "已订好{pax}和{pax2}的往返机票：{date}去，{date2}回，{cabin}，订单号{new_ref}，已从尾号{card}的卡扣款。",
            "订好了：{date}{flight}，{n_pax}，{cabin}，每人含一件托运行李，总价在{budget}以内，订单号{new_ref}。",
            "已按可改签票价订好，订单号{new_ref}，行程单会发到{email}。",
            "已为您预订{date}{origin}到{dest}的航班，订单号{new_ref}。",
         ],
         "why": [
            "乘客、航线、日期、舱位和付款方式都给了，用户要求直接下单：book_flight。",
            "条件虽多但都已确定，属于预订而不是查询。",
         ]},
    ],
}

INTENTS["cancel_booking"] = {
    "en": [
        {"ask": [
            "1|Cancel my booking {ref}.",
            "1|Please cancel reservation {ref}.",
            "1|cancel {ref}",
            "1|I need to cancel my flight, reference {ref}.",
            "2|Cancel {ref} for {pax}, we aren't travelling anymore.",
            "2|My plans fell through - please cancel my flight to {dest} {date}. Booking ref {ref}.",
            "2|How do I cancel? Booking is under {last}, ref {ref}.",
            "2|I won't be able to fly to {dest} {date}. Cancel it please, confirmation code {ref}.",
            "2|We have to call off the trip to {dest}. Can you drop booking {ref}?",
            "2|Please cancel {flight} {date}, I booked it by mistake.",
         ],
         "say": [
            "I've cancelled booking {ref}. You'll get a cancellation email shortly.",
            "Booking {ref} is now cancelled. I'll let you know what refund or credit your fare allows.",
            "Sorry your plans changed. Your flight to {dest} {date} (ref {ref}) has been cancelled.",
            "Cancelling {ref} now. Your fare rules include a {fee} cancellation fee, which will be taken from the refund.",
            "Done - the booking under {last} is cancelled.",
            "Your reservation is cancelled, and a confirmation is on its way to you.",
         ],
         "why": [
            "The user wants to call off the booking {ref} entirely, so cancel_booking.",
            "They won't travel and ask to cancel; any refund follows from the cancellation.",
            "An existing reservation should be removed, not changed: cancel_booking.",
            "The trip is off; the request is to cancel the reservation.",
         ]},
        {"ask": [
            "2|leg|Can you cancel just the return leg of {ref}?",
            "2|pax|Take {pax2} off booking {ref}, the others are still flying.",
            "3|credit|Please cancel booking {ref} for the whole party ({n_pax}); we'll take travel credit rather than cash, and send the confirmation to {email}.",
            "3|pax|Cancel {pax}'s seat on {flight} {date} but keep the rest of booking {ref} as it is, and tell me the fee before you do it.",
         ],
         "say": [
            "leg|I can cancel only the return part of {ref}; the outbound stays as booked. I'll confirm the fee first.",
            "pax|{pax2} has been removed from {ref}; everyone else is still booked.",
            "credit|Booking {ref} is cancelled for everyone, and the value is saved as travel credit. Confirmation sent to {email}.",
            "pax|Removing {pax} from {flight} costs {fee}; the rest of {ref} is unchanged. Shall I go ahead?",
         ],
         "why": [
            "leg,pax|Part of the booking should be cancelled while the rest stays, which is still cancel_booking.",
            "credit|The user asks to cancel with conditions (credit instead of cash, a confirmation email); the core action is a cancellation.",
            "leg,pax|Removing a traveller or a leg from a booking is a partial cancellation.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|取消订单{ref}。",
            "1|帮我取消{ref}",
            "1|{ref}不要了，取消吧",
            "2|行程有变，{date}去{dest}的航班帮我取消掉，订单号{ref}。",
            "2|订单{ref}，{date}的{flight}，不飞了，麻烦取消。",
            "2|去{dest}的行程取消了，订单{ref}能帮我撤掉吗？",
            "2|{flight}是我订错了，帮我取消一下。",
            "2|订单{ref}是{pax}的名字，我们不去了，取消吧。",
         ],
         "say": [
            "已为您取消订单{ref}，取消确认稍后发给您。",
            "订单{ref}已取消，可退金额会按票价规则计算后通知您。",
            "很遗憾行程有变，{date}去{dest}的航班（订单{ref}）已取消。",
            "正在取消{ref}，根据票价规则会收取{fee}的手续费。",
            "好的，已帮您取消。",
         ],
         "why": [
            "用户不再出行，要求取消订单{ref}，所以是cancel_booking。",
            "是要撤销已有预订，而不是改期。",
            "行程取消了，先取消订单，退款按规则随后处理。",
         ]},
        {"ask": [
            "2|leg|我只想取消{ref}的回程，去程保留。",
            "2|pax|{pax2}不去了，把他从订单{ref}里去掉，其他人照常。",
            "3|credit|订单{ref}里的{n_pax}全部取消，我们要代金券不要退现金，取消确认发到{email}。",
            "3|pax|{date}{flight}上{pax}的位置取消，订单{ref}其他人不变，取消前先告诉我手续费。",
         ],
         "say": [
            "leg|可以只取消{ref}的回程，去程保持不变，手续费我先确认给您。",
            "pax|已把{pax2}从订单{ref}中取消，其他乘客不受影响。",
            "credit|订单{ref}已全部取消，票款转为旅行代金券，确认邮件已发到{email}。",
            "pax|取消{pax}在{flight}上的座位需要{fee}手续费，{ref}其他人不变，确认办理吗？",
         ],
         "why": [
            "leg,pax|要取消订单的一部分（某段或某位乘客），仍属于cancel_booking。",
            "credit|附带了条件（代金券、确认邮件），但核心动作是取消。",
         ]},
    ],
}

INTENTS["change_flight"] = {
    "en": [
        {"ask": [
            "1|Can I change my flight {ref} to {day}?",
            "1|Change my flight, ref {ref}.",
            "2|later|Please switch me from {flight} to a later flight the same day. Ref {ref}.",
            "2|I'd like to fly out {date} instead. Reservation {ref}, last name {last}.",
            "2|Move my return to {day} {time} please, ref {ref}.",
            "2|Something came up, can I push my trip to {dest} back to {day}?",
            "2|earlier|Can you put me on an earlier flight to {dest}? I'm on {flight} right now.",
            "2|earlier|I need to leave a day earlier. Booking {ref}, flying {origin} to {dest}.",
            "2|swap|Is there a way to switch {flight} to a flight {time}?",
         ],
         "say": [
            "I can move booking {ref} to {day}. Let me check availability and any fare difference.",
            "later|Looking at later flights the same day for {ref} - I'll show you the options and any change fee.",
            "Sure. I'll look at rebooking {ref} {date} {time} and confirm the price before changing anything.",
            "earlier|Checking earlier flights to {dest} for you now.",
            "swap|I'll look for flights {time} instead of {flight} and what the swap would cost.",
            "No problem - let me find alternatives for your trip and what a change would cost.",
            "I can change {ref} to {day}; the change fee on your fare is {fee} plus any fare difference. Shall I go ahead?",
         ],
         "why": [
            "The user keeps the trip but wants a different date or time, so change_flight rather than cancel.",
            "Moving an existing booking ({ref}) to another flight is a change.",
            "They ask for a different departure on the same booking: change_flight.",
            "The reservation stays; only the flight changes.",
         ]},
        {"ask": [
            "3|I need to rebook {ref}: leave {date} {time} instead, keep {cabin}, and I don't want to pay more than {budget} in fees.",
            "3|Change {ref} for both {pax} and {pax2} to {day}, same route {origin} to {dest}, and keep us seated together.",
            "3|Move my outbound to {day}, keep the return as is, stay on {airline}, and only if the difference is under {budget}. Ref {ref}.",
         ],
         "say": [
            "I'll look for options {date} {time} on {ref} in {cabin} and only go ahead if the total change cost stays under {budget}.",
            "Checking flights {date} from {origin} to {dest} with two seats together for {pax} and {pax2} on {ref}.",
            "Searching {airline} flights {date} for the outbound of {ref}; the return stays unchanged, and I'll check the difference against {budget}.",
         ],
         "why": [
            "Several conditions, but the goal is to move an existing booking: change_flight.",
            "The user wants new dates on {ref} with limits on cost and seating, which is a constrained change.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|{ref}能改到{date}吗？",
            "1|我想改签，订单号{ref}。",
            "1|改签{ref}",
            "2|later|帮我把{flight}改成同一天晚一点的航班，订单{ref}。",
            "2|去{dest}的行程想改到{date}{time}，订单号{ref}。",
            "2|earlier|我现在是{flight}，能换到更早的一班吗？",
            "2|临时有事，{date}走不了了，能改期吗？订单{ref}，乘机人{pax}。",
            "2|回程改到{date}，{ref}。",
            "2|earlier|想提前一天走，{origin}到{dest}，订单{ref}。",
         ],
         "say": [
            "可以帮您把{ref}改到{date}，我先查一下余票和差价。",
            "later|正在查同一天更晚的航班，改签费和差价一起告诉您。",
            "好的，我看看{date}{time}去{dest}的航班，确认费用后再改。",
            "earlier|正在为您查找更早飞往{dest}的航班。",
            "earlier|好的，我查一下比{flight}更早的航班。",
            "没问题，我先查可改的航班和费用。",
            "{ref}改到{date}需要{fee}改签费，另加差价，确认办理吗？",
         ],
         "why": [
            "用户行程还要继续，只是换日期或时间，所以是改签而不是取消。",
            "把已有订单{ref}换到别的航班，属于change_flight。",
            "订单保留，只改航班。",
         ]},
        {"ask": [
            "3|订单{ref}改签：改成{date}{time}出发，舱位还是{cabin}，改签费不要超过{budget}。",
            "3|{pax}和{pax2}的订单{ref}都改到{date}，航线不变{origin}到{dest}，要坐在一起。",
            "3|去程改到{date}，回程不动，还坐{airline}，差价在{budget}以内才改，订单{ref}。",
         ],
         "say": [
            "我按{date}{time}、{cabin}查找可改航班，总费用超过{budget}就不改。",
            "正在查{date}{origin}到{dest}有两个连座的航班，给{pax}和{pax2}改签。",
            "正在查{date}{airline}的去程航班，回程不变，差价会先和{budget}比较。",
         ],
         "why": [
            "条件多，但目的都是把已有订单改到新航班：change_flight。",
            "要改期并限制费用和座位，属于有条件的改签。",
         ]},
    ],
}

INTENTS["request_refund"] = {
    "en": [
        {"ask": [
            "1|I want a refund for {ref}.",
            "1|refund for {ref} please",
            "2|airline|My flight {flight} was cancelled by the airline. I'd like my money back. Ref {ref}.",
            "2|status|How do I get a refund for booking {ref}? I already cancelled it.",
            "2|status|Where's my refund? I cancelled {ref} two weeks ago and nothing has come back.",
            "2|Can I get a refund on my unused return leg? Booking {ref}.",
            "3|Flight {flight} {past} was delayed over {delay} and I missed my connection, so I didn't travel. I want the full {price} back on my card, not a voucher.",
            "3|We cancelled {ref} within 24 hours of booking; please refund all tickets for {n_pax}, {price} in total, to the card ending {card}.",
         ],
         "say": [
            "I've submitted a refund request for {ref}. Refunds usually reach the original payment method within 7-10 business days.",
            "airline|Since {flight} was cancelled by the airline, you're entitled to a full refund. I've started it for booking {ref}.",
            "status|Let me check the refund status for {ref} and chase it up.",
            "status|The booking is cancelled, so the refund is due. I'll check where it is for {ref} and push it through.",
            "I've requested a full refund of {price} to your original card rather than a voucher.",
            "I've opened a refund case for {ref}; you'll get an email with the case number.",
            "I've asked for {price} back to the card ending {card}.",
         ],
         "why": [
            "airline|The airline cancelled {flight}, so the user is owed a refund and asks for it: request_refund.",
            "status|The booking is already cancelled; the user is chasing the money, so request_refund.",
            "The user asks for their money, not a new flight, so request_refund.",
            "The request is about getting paid back for a ticket, not about travelling: request_refund.",
         ]},
        {"ask": [
            "2|dup|I was charged twice for {ref}, please refund the extra {price}.",
            "2|seat|I paid {fee} for seat selection on {flight} but never got the seat. Can I get that back?",
            "2|wifi|I bought wifi on {flight} and it never worked. Refund?",
            "2|lounge|The lounge pass I paid {fee} for was refused. I want that refunded.",
         ],
         "say": [
            "dup|Sorry about the double charge. I've requested a refund of {price} for the duplicate payment on {ref}.",
            "seat|You paid for a seat you didn't get, so I've requested a refund of the {fee} seat fee.",
            "wifi|I'm sorry the wifi didn't work on {flight}. I've filed a refund for it.",
            "lounge|Sorry the lounge turned you away. I've requested a refund of the {fee} you paid for the pass.",
         ],
         "why": [
            "The user paid for something they didn't get and wants the charge reversed: request_refund.",
            "A duplicate or unused charge should be refunded; nothing about the flight changes.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|我要退款，{ref}",
            "1|申请退款，订单{ref}。",
            "2|airline|{flight}被航空公司取消了，我要全额退款，订单{ref}。",
            "2|status|我已经取消了{ref}，钱什么时候退回来？",
            "2|status|退款还没到账，订单{ref}，已经两个星期了。",
            "2|回程没有用，能退回程的钱吗？订单{ref}。",
            "3|{past}的{flight}延误了{delay}，我错过了转机没走成，要求把{price}全额退回原支付卡，不要代金券。",
            "3|订单{ref}是24小时内取消的，{n_pax}的票一共{price}，请原路退回尾号{card}的卡。",
         ],
         "say": [
            "已为订单{ref}提交退款申请，一般7到10个工作日原路退回。",
            "airline|{flight}是航空公司取消的，您可以全额退款，已为订单{ref}发起退款。",
            "status|我来查一下{ref}的退款进度，并帮您催办。",
            "已申请将{price}全额退回原支付卡，不转代金券。",
            "已为{ref}创建退款工单，工单号会通过短信发给您。",
            "已申请把{price}原路退回尾号{card}的卡。",
         ],
         "why": [
            "airline|{flight}被航司取消，用户要求退款：request_refund。",
            "status|订单已取消，用户在催退款：request_refund。",
            "用户要钱不要新航班，所以是退款。",
            "用户要求把票款退回来，属于退款申请。",
         ]},
        {"ask": [
            "2|dup|{ref}被重复扣款了，多扣的{price}请退给我。",
            "2|seat|在{flight}上买的选座费{fee}，结果没给我座位，能退吗？",
            "2|wifi|{flight}上买的WiFi根本连不上，能退钱吗？",
            "2|lounge|花{fee}买的贵宾厅券被拒了，要求退款。",
         ],
         "say": [
            "dup|抱歉重复扣款了，已为{ref}申请退回多扣的{price}。",
            "seat|付了选座费却没拿到座位，已为您申请退回{fee}。",
            "wifi|抱歉{flight}上的WiFi没法用，已为您申请退款。",
            "lounge|抱歉贵宾厅没让您进，已为您申请退回{fee}的贵宾厅券费用。",
         ],
         "why": [
            "付了钱却没享受到服务，用户要求退回这笔费用：request_refund。",
            "重复或未使用的扣款应退回，航班本身不用变。",
         ]},
    ],
}

INTENTS["baggage_info"] = {
    "en": [
        {"ask": [
            "1|How many bags can I check on {flight}?",
            "1|carryon|What's the carry-on size limit on {airline}?",
            "1|item|Can I bring {bag_item} on the plane?",
            "1|baggage allowance for {ref}?",
            "2|weight|My suitcase is {weight}, is that over the limit in {cabin}?",
            "2|fee|How much does a second checked bag cost on {flight}?",
            "2|item|Is {bag_item} allowed as checked luggage from {origin} to {dest}?",
            "2|item|Can I take {bag_item} as hand luggage on {airline}, or does it have to be checked?",
            "3|We're flying {cabin} on {ref}; we have two suitcases around {weight} each, {bag_item}, and a backpack - what's included and what will we pay extra?",
         ],
         "say": [
            "Let me check the baggage allowance for {flight}.",
            "carryon|I'll look up {airline}'s carry-on size and weight limits for you.",
            "item|I'll check the rules for carrying {bag_item} on your route.",
            "weight|For {cabin}, I'll check the checked-bag weight limit and what an overweight bag would cost.",
            "fee|I'll look up the fee for a second checked bag on {flight}.",
            "Let me check what's included on {ref} and price anything extra.",
            "I'll look up the allowance on your ticket and any extra-bag fees.",
         ],
         "why": [
            "The user asks what luggage is allowed or what it costs: baggage_info.",
            "A question about bag limits or fees is baggage information, not a booking change.",
            "item|They want to know whether {bag_item} can travel with them, which is a baggage rule.",
            "Allowance and fees for bags come from the baggage rules of the fare.",
         ]},
        {"ask": [
            "2|lost|My bag didn't show up in {dest}. Flight {flight}, what should I do?",
            "2|lost|Lost luggage: arrived on {flight} {past}, my bag is missing. Ref {ref}.",
            "2|damaged|My suitcase came off {flight} with a broken handle. Who do I talk to?",
            "2|trace|It's been two days and my bag from {flight} still isn't here. Any update?",
         ],
         "say": [
            "lost|I'm sorry your bag didn't arrive. I'll open a delayed-baggage report for {flight} and track it for you.",
            "lost|Sorry about that. I'll file a missing-bag report for {flight} and send you the file reference so you can follow it.",
            "damaged|Sorry your suitcase was damaged. I'll start a damaged-baggage claim for {flight}; please keep the bag and a photo of the damage.",
            "trace|Let me look up the trace on your bag from {flight} and tell you where it is.",
         ],
         "why": [
            "A missing or damaged bag is handled through the baggage service, so baggage_info.",
            "The user's problem is their luggage after {flight}, not the ticket itself.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|{flight}可以托运几件行李？",
            "1|carryon|{airline}的随身行李尺寸限制是多少？",
            "1|item|{bag_item}能带上飞机吗？",
            "1|{ref}的行李额度是多少？",
            "2|weight|我的箱子{weight}，{cabin}会超重吗？",
            "2|fee|{flight}第二件托运行李收多少钱？",
            "2|item|从{origin}飞{dest}，{bag_item}可以托运吗？",
            "2|item|{bag_item}能随身带还是必须托运？坐的是{airline}。",
            "3|我们坐{cabin}，订单{ref}，有两个{weight}左右的箱子、{bag_item}，还有一个背包，哪些免费、哪些要另外付钱？",
         ],
         "say": [
            "我来查一下{flight}的行李额度。",
            "carryon|帮您查{airline}随身行李的尺寸和重量限制。",
            "item|我查一下您这条航线携带{bag_item}的规定。",
            "weight|{cabin}的托运重量限制和超重费用我帮您查一下。",
            "fee|我查一下{flight}第二件托运行李的收费标准。",
            "我查一下{ref}包含的行李额度，超出部分的费用一起告诉您。",
            "稍等，我查一下您这张票的行李规定。",
         ],
         "why": [
            "用户问能带什么行李、要花多少钱：baggage_info。",
            "关于行李限额和费用的问题，属于行李规定查询。",
            "item|想知道{bag_item}能不能带，是行李规定的问题。",
         ]},
        {"ask": [
            "2|lost|到了{dest}行李没出来，航班是{flight}，怎么办？",
            "2|lost|行李丢了，{past}坐的{flight}，订单{ref}。",
            "2|damaged|{flight}下来行李箱轮子摔坏了，找谁赔？",
            "2|trace|两天了，{flight}的行李还没送到，有消息吗？",
         ],
         "say": [
            "lost|很抱歉行李没到，我帮您为{flight}登记行李延误，并持续跟踪。",
            "lost|抱歉给您带来麻烦，我来为{flight}提交行李丢失报告，编号稍后发给您。",
            "damaged|抱歉行李箱损坏了，我为{flight}发起行李破损理赔，请保留箱子并拍照。",
            "trace|我查一下{flight}行李的追踪记录，告诉您现在在哪。",
         ],
         "why": [
            "行李丢失或损坏要走行李服务流程，所以是baggage_info。",
            "问题出在{flight}之后的行李上，不是机票本身。",
         ]},
    ],
}

INTENTS["check_in"] = {
    "en": [
        {"ask": [
            "1|Check me in for {flight}.",
            "1|I want to check in, ref {ref}.",
            "1|Send me my boarding pass for {flight}.",
            "2|Can I check in online for {flight} {soon}? Last name {last}.",
            "2|Please check in {pax} and {pax2} on booking {ref}.",
            "2|Check in all of us on {ref} and send the boarding passes to {email}.",
            "2|late|Is it too late to check in for {flight}? It leaves at {dep_time}.",
            "2|when|When does check-in open for my flight to {dest}? Ref {ref}.",
            "3|Check me in on {ref}, last name {last}; I'm checking {bag_item}, I want the boarding pass on my phone, and do the return too if it's open.",
         ],
         "say": [
            "You're checked in for {flight}. Your boarding pass is on its way.",
            "Checking you in on {ref} now; I'll send the boarding pass when it's ready.",
            "Online check-in for {flight} is open - checking you in now, {last}.",
            "Done: {pax} and {pax2} are checked in on {ref}.",
            "Everyone on {ref} is checked in, and the boarding passes are going to {email}.",
            "late|Online check-in usually closes 60 minutes before departure; let me try to check you in for {flight} right away.",
            "when|Check-in for your flight to {dest} opens 24 hours before departure. I'll check you in as soon as it opens.",
            "Checked in on {ref}; {bag_item} is added as checked baggage and the mobile boarding pass is on its way.",
         ],
         "why": [
            "The user wants to be checked in or to get a boarding pass: check_in.",
            "Getting a boarding pass for {flight} is part of check-in.",
            "A request to check in on booking {ref}, nothing else.",
            "late,when|Questions about check-in timing are answered by the check-in action.",
         ]},
        {"ask": [
            "2|I'm trying to check in for {ref} but the site keeps erroring out.",
            "2|The app says I can't check in online for {flight}. Why?",
         ],
         "say": [
            "Sorry about that. I'll check you in on {ref} from here and send the boarding pass directly.",
            "Let me see why online check-in is blocked for {flight}; if I can't fix it here I'll tell you what to bring to the airport counter.",
         ],
         "why": [
            "Check-in is failing online; the user still wants to check in, so check_in.",
            "The problem is the check-in itself, so the check-in action handles it.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|帮我值机，{flight}。",
            "1|订单{ref}办理值机。",
            "1|把{flight}的登机牌发给我",
            "2|{soon}的{flight}可以网上值机了吗？乘机人{pax}。",
            "2|帮{pax}和{pax2}办一下值机，订单{ref}。",
            "2|{ref}的人都帮我值机，登机牌发到{email}。",
            "2|late|{flight}是{dep_time}起飞，现在还能值机吗？",
            "2|when|去{dest}的航班什么时候开始值机？订单{ref}。",
            "3|订单{ref}，乘机人{pax}，帮我值机，我带了{bag_item}要托运，电子登机牌发手机上，回程能值机的话也一起办了。",
         ],
         "say": [
            "已为您办好{flight}的值机，登机牌马上发给您。",
            "正在为订单{ref}办理值机，登机牌生成后发给您。",
            "{flight}已开放网上值机，正在为{pax}办理。",
            "已为{pax}和{pax2}办好值机，订单{ref}。",
            "{ref}的乘客都已值机，登机牌已发到{email}。",
            "late|网上值机一般在起飞前60分钟截止，我马上帮您试试{flight}。",
            "when|去{dest}的航班值机一般在起飞前24小时开放，开放后我第一时间帮您办理。",
            "已为{ref}办好值机，{bag_item}已登记托运，电子登机牌发到您手机上。",
         ],
         "why": [
            "用户要值机或者要登机牌：check_in。",
            "拿{flight}的登机牌属于值机。",
            "late,when|问值机时间也由值机操作来回答。",
         ]},
        {"ask": [
            "2|{ref}在网上值机一直报错，怎么回事？",
            "2|APP说{flight}不能网上值机，为什么？",
         ],
         "say": [
            "抱歉，我直接在这里为{ref}办理值机，并把登机牌发给您。",
            "我查一下{flight}为什么不能网上值机，如果这里处理不了，会告诉您到柜台要带什么。",
         ],
         "why": [
            "网上值机失败，但用户仍然要值机，所以是check_in。",
         ]},
    ],
}

INTENTS["select_seat"] = {
    "en": [
        {"ask": [
            "1|Can I get {a_seat}?",
            "1|Change my seat to {seat}.",
            "1|seat {seat} please",
            "2|I'd like seat {seat} on {flight}, please.",
            "2|Put me in {a_seat} on {ref}.",
            "2|Is there still {a_seat} free on {flight} {date}?",
            "2|middle|I'm stuck in a middle seat on {flight}, can you move me to {a_seat}?",
            "2|Can I pick my seat now for {ref}? I'd love {a_seat}.",
         ],
         "say": [
            "Let me see what's open and get you {a_seat}.",
            "I'll move you to seat {seat} if it's still free.",
            "Seat {seat} on {flight} is yours - I've updated your booking.",
            "I've put you in {a_seat} on {ref}.",
            "Checking the seat map for {flight} {date} now.",
            "middle|I'll look for {a_seat} on {flight} and move you out of the middle seat.",
         ],
         "why": [
            "The user wants a particular seat, so select_seat.",
            "Choosing or changing a seat on an existing booking is seat selection.",
            "They ask for {a_seat}; the flight itself stays the same.",
            "A request for seat {seat} is a seat assignment.",
         ]},
        {"ask": [
            "2|Can {pax} and I sit together on {flight}? Ref {ref}.",
            "2|We got split up on {ref}. Please seat us together.",
            "3|For {ref}, I need seats together for {n_pax}, one of them {a_seat}, away from the toilets and near the front if possible.",
            "3|On {flight} {date} put me in {a_seat}, {pax} right next to me, and not in the last ten rows.",
         ],
         "say": [
            "I'll look for two seats together on {flight} for you and {pax}.",
            "Let me find seats side by side on {ref}.",
            "Checking the seat map on {ref} for seats together for {n_pax}, near the front and away from the toilets.",
            "Looking for {a_seat} with a free seat next to it for {pax} on {flight}.",
         ],
         "why": [
            "Sitting together is a seating request on an existing booking: select_seat.",
            "Several seating preferences, but the action is still choosing seats.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|能给我换个{a_seat}吗？",
            "1|座位换成{seat}。",
            "1|选座{seat}",
            "2|{flight}我想选{seat}。",
            "2|订单{ref}帮我选个{a_seat}。",
            "2|{date}的{flight}还有{a_seat}吗？",
            "2|middle|{flight}给我分了中间座，能换成{a_seat}吗？",
            "2|{ref}现在能选座吗？想要{a_seat}。",
         ],
         "say": [
            "我看看还有哪些空位，帮您换到{a_seat}。",
            "如果{seat}还空着，我马上帮您换过去。",
            "{flight}的{seat}已经帮您选好了。",
            "已为订单{ref}选好{a_seat}。",
            "正在查看{date}{flight}的座位图。",
            "middle|我找找{flight}上的{a_seat}，把您从中间座换出来。",
         ],
         "why": [
            "用户想要特定座位，所以是select_seat。",
            "在已有订单上选座或换座，属于选座。",
            "要的是{a_seat}，航班本身不变。",
         ]},
        {"ask": [
            "2|我和{pax}在{flight}上能坐一起吗？订单{ref}。",
            "2|{ref}我们被分开坐了，帮我们调到一起。",
            "3|订单{ref}，{n_pax}要坐在一起，其中一个{a_seat}，离洗手间远一点，尽量靠前。",
            "3|{date}{flight}给我{a_seat}，{pax}挨着我坐，别在最后十排。",
         ],
         "say": [
            "我帮您和{pax}在{flight}上找两个连在一起的座位。",
            "我来找{ref}上相邻的座位。",
            "正在为{ref}查找{n_pax}连在一起、靠前、远离洗手间的座位。",
            "我找一个{a_seat}，并让{pax}坐在旁边。",
         ],
         "why": [
            "想坐在一起是已有订单上的选座需求：select_seat。",
            "座位偏好较多，但动作仍是选座。",
         ]},
    ],
}

INTENTS["loyalty_points"] = {
    "en": [
        {"ask": [
            "1|balance|How many miles do I have? Member number {member}.",
            "1|balance|What's my points balance? Account {member}.",
            "1|expiry|When do my miles expire? Account {member}.",
            "2|missing|I flew {flight} {past} but the miles never posted to {member}.",
            "2|add|Add my frequent flyer number {member} to booking {ref}.",
            "2|status|What do I need for gold status? I have {points} points this year.",
            "2|transfer|Can I transfer {points} points to {pax}'s account?",
         ],
         "say": [
            "balance|Let me check the balance on account {member}.",
            "expiry|I'll look at the expiry dates of the miles on {member}.",
            "missing|Sorry they're missing. I'll request the missing miles for {flight} to be credited to {member}.",
            "add|I've added {member} to booking {ref}, so this trip will earn miles.",
            "status|With {points} points so far, let me work out how many more you need for gold.",
            "transfer|I'll check whether {points} points can be moved to {pax}'s account and what it costs.",
            "Let me pull up your loyalty account.",
         ],
         "why": [
            "The question is about the user's miles or points, so loyalty_points.",
            "missing,balance,expiry|Miles, their balance and expiry are handled in the loyalty account, not the booking.",
            "add|Adding a frequent flyer number to a booking is a loyalty task.",
            "status,transfer|Status and point transfers are loyalty-programme questions.",
         ]},
        {"ask": [
            "2|Can I use my points to pay for {flight}?",
            "2|How many points do I need for a ticket to {dest} in {cabin}?",
            "3|I have {points} points on {member}; can I upgrade {ref} to {upcabin} on both legs, and how many points would be left afterward?",
            "3|Using miles from {member}, what's the cheapest award to {dest} {date} in {cabin}, and can I pay the taxes by card?",
         ],
         "say": [
            "I'll check whether {flight} can be paid with points and how many you'd need.",
            "Let me look up award prices for {cabin} to {dest}.",
            "With {points} points, let me see if an upgrade to {upcabin} on both legs of {ref} is possible and what would be left.",
            "Checking award seats to {dest} {date} in {cabin} with the miles on {member}; taxes can usually be paid by card.",
         ],
         "why": [
            "The user wants to spend points, which is a loyalty redemption, not a cash booking.",
            "Award prices and points upgrades are loyalty questions: loyalty_points.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|balance|我的里程还有多少？会员号{member}。",
            "1|balance|查一下积分，卡号{member}。",
            "1|expiry|{member}的里程什么时候过期？",
            "2|missing|{past}坐了{flight}，里程到现在还没累积到{member}。",
            "2|add|帮我把会员号{member}加到订单{ref}里。",
            "2|status|今年已经有{points}积分了，还差多少升金卡？",
            "2|transfer|我能把{points}里程转给{pax}吗？",
         ],
         "say": [
            "balance|我来查一下会员{member}的里程余额。",
            "expiry|帮您查{member}里程的到期时间。",
            "missing|抱歉里程没到账，已为{flight}提交里程补登，会累积到{member}。",
            "add|已把会员号{member}加到订单{ref}，这次行程可以累积里程。",
            "status|您目前有{points}积分，我算一下离金卡还差多少。",
            "transfer|我查一下{points}里程能不能转给{pax}，以及手续费。",
         ],
         "why": [
            "问的是里程或积分，所以是loyalty_points。",
            "missing,balance,expiry|里程补登、余额和有效期都在会员账户里处理，不涉及订单。",
            "status,transfer|会员等级和里程转让是常旅客计划的问题。",
            "add|把会员号加到订单上是常旅客相关操作：loyalty_points。",
         ]},
        {"ask": [
            "2|{flight}能用里程兑换吗？",
            "2|兑换一张去{dest}的{cabin}需要多少里程？",
            "3|会员{member}现在有{points}里程，想把订单{ref}往返都升到{upcabin}，够不够？升完还剩多少？",
            "3|用{member}的里程兑换{date}去{dest}的{cabin}，最便宜要多少？税费能刷卡吗？",
         ],
         "say": [
            "我查一下{flight}能不能用里程兑换，需要多少。",
            "帮您查去{dest}的{cabin}兑换标准。",
            "您有{points}里程，我看看{ref}往返升{upcabin}够不够，以及升完剩多少。",
            "正在用{member}的里程查{date}去{dest}的{cabin}兑换座位，税费一般可以刷卡。",
         ],
         "why": [
            "用户想用里程支付或升舱，属于里程兑换：loyalty_points。",
         ]},
    ],
}

INTENTS["flight_status"] = {
    "en": [
        {"ask": [
            "1|Is {flight} on time?",
            "1|status of {flight}?",
            "1|What time does {flight} land?",
            "1|Any delays on {flight}?",
            "2|Is {flight} from {origin} delayed {soon}?",
            "2|pickup|My mom is arriving on {flight} {soon} - when should I pick her up?",
            "2|gate|What gate does {flight} leave from?",
            "2|departed|Has {flight} to {dest} taken off yet?",
            "2|weather|There's a storm in {origin}, is {flight} still going?",
            "2|Is {flight} still flying {soon}, or was it cancelled?",
            "2|terminal|Which terminal does {flight} arrive at in {dest}?",
            "3|terminal|My connection in {dest} is tight - is {flight} running late {soon}, what's the expected arrival, and which terminal?",
         ],
         "say": [
            "Let me check the live status of {flight}.",
            "Checking {flight} now - I'll tell you the latest departure and arrival times.",
            "pickup|I'll look up {flight}'s estimated arrival {soon} so you know when to head to the airport.",
            "gate|Checking which gate {flight} departs from.",
            "departed|Let me see whether {flight} has left for {dest} yet.",
            "weather|I'll check {flight} for weather delays out of {origin}.",
            "terminal|Checking the arrival time and terminal for {flight} into {dest}.",
         ],
         "why": [
            "The user asks about the current state of {flight} (delay, gate, arrival), so flight_status.",
            "A question about whether a flight is on time is a status lookup.",
            "They only want information on {flight}; nothing needs to change yet.",
            "Gate, terminal and arrival time all come from the flight's live status.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|{flight}准点吗？",
            "1|{flight}现在什么状态？",
            "1|{flight}几点落地？",
            "1|{flight}有延误吗",
            "2|{soon}从{origin}出发的{flight}延误了吗？",
            "2|pickup|我妈坐{flight}，{soon}到，我几点去接机合适？",
            "2|gate|{flight}在哪个登机口？",
            "2|departed|{flight}飞{dest}的起飞了没？",
            "2|weather|{origin}下大雨，{flight}还能正常飞吗？",
            "2|{soon}的{flight}取消了吗？",
            "2|terminal|{flight}在{dest}落哪个航站楼？",
            "3|terminal|我在{dest}转机时间很紧，{soon}的{flight}会不会晚点？预计几点到？哪个航站楼？",
         ],
         "say": [
            "我来查一下{flight}的实时动态。",
            "正在查询{flight}，马上告诉您最新的起飞和到达时间。",
            "pickup|我查一下{flight}{soon}的预计到达时间，方便您安排接机。",
            "gate|正在查询{flight}的登机口。",
            "departed|我看看{flight}是否已经起飞前往{dest}。",
            "weather|我查一下{origin}的天气对{flight}有没有影响。",
            "terminal|正在查{flight}到达{dest}的时间和航站楼。",
         ],
         "why": [
            "用户问{flight}现在的情况（延误、登机口、到达时间），所以是flight_status。",
            "问航班是否准点、在哪登机、几点到，都属于航班动态查询。",
            "只是想了解{flight}的信息，暂时不需要改动任何东西。",
         ]},
    ],
}

INTENTS["special_assistance"] = {
    "en": [
        {"ask": [
            "1|I need {need}.",
            "1|Can I get {need}?",
            "2|I'll need {need} on {flight}.",
            "2|Can you arrange {need} for {pax} on booking {ref}?",
            "2|grandma|My grandmother is flying {origin} to {dest} {date} and needs {care}.",
            "2|Please request {need} for me on {flight} {date}.",
            "2|dog|I'm travelling with a service dog on {ref}. What do I need to do?",
            "2|pregnant|I'm {weeks} weeks pregnant - can I still fly on {flight}?",
            "2|deaf|I'm deaf - how will I know about gate changes on {flight}?",
            "3|minor|For {ref}: my son is 9 and flying alone from {origin} to {dest} {date}; please set up the unaccompanied minor service, and {pax} will pick him up.",
         ],
         "say": [
            "I've added a request for {need} to your booking.",
            "I'll arrange {need} for you on {flight}.",
            "I've requested {need} for {pax} on {ref}; the airport team will be expecting them.",
            "grandma|I'll note {care} for your grandmother's trip from {origin} to {dest} {date}.",
            "dog|I'll add the service dog to {ref} and send you the form the airline needs beforehand.",
            "pregnant|I'll check the airline's rules for travelling at {weeks} weeks and note it on your booking; you may need a doctor's letter.",
            "deaf|I'll add a hearing-assistance note to your booking so the crew and gate staff tell you about changes in person, and I'll switch on text alerts for {flight}.",
            "minor|I'll set up the unaccompanied minor service on {ref} with {pax} as the person meeting him in {dest}.",
         ],
         "why": [
            "The user needs help or a service beyond the ticket itself: special_assistance.",
            "Requests like {need} are special assistance added to the booking.",
            "grandma|An older traveller needs {care}, which is arranged as special assistance.",
            "dog,pregnant|Travelling with a medical need or a service animal is arranged through special assistance.",
            "minor|A child flying alone needs the unaccompanied minor service, which is special assistance.",
            "deaf|The user needs another way to get announcements because of a disability: special_assistance.",
            "The request is about care during the trip, not about changing the flight.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|我需要{need}。",
            "1|能安排{need}吗？",
            "2|{flight}上帮我申请{need}。",
            "2|订单{ref}，给{pax}安排{need}。",
            "2|grandma|我奶奶{date}从{origin}飞{dest}，需要{care}。",
            "2|{date}的{flight}请帮我预订{need}。",
            "2|dog|带导盲犬坐{flight}需要准备什么？",
            "2|pregnant|我怀孕{weeks}周了，还能坐{flight}吗？",
            "2|deaf|我听力不好，{flight}登机口变更怎么通知我？",
            "3|minor|订单{ref}：我儿子9岁，{date}一个人从{origin}飞{dest}，请办理无人陪伴儿童服务，到了由他姑姑{pax}接。",
         ],
         "say": [
            "已在您的订单上添加{need}的申请。",
            "好的，已为您在{flight}上安排{need}。",
            "已为订单{ref}的{pax}申请{need}，机场工作人员会提前准备。",
            "grandma|已为奶奶{date}从{origin}到{dest}的行程备注{care}。",
            "dog|我把导盲犬信息加到订单上，并把航司需要提前填写的表格发给您。",
            "pregnant|我查一下怀孕{weeks}周乘机的规定并在订单上备注，可能需要医生证明。",
            "deaf|我会在订单上备注听障需求，让机组和登机口工作人员当面通知您，同时为{flight}开通短信提醒。",
            "minor|已为{ref}办理无人陪伴儿童服务，到达{dest}后由{pax}接机。",
         ],
         "why": [
            "用户需要机票之外的协助或服务：special_assistance。",
            "像{need}这样的需求属于特殊服务，要加到订单上。",
            "grandma|老人出行需要{care}，属于特殊服务。",
            "dog,pregnant,deaf|行动不便、医疗需求或携带服务犬都通过特殊服务来安排。",
            "minor|儿童独自乘机需要无人陪伴儿童服务，属于特殊服务。",
         ]},
    ],
}

INTENTS["handoff_to_human"] = {
    "en": [
        {"ask": [
            "1|Let me talk to a real person.",
            "1|Can I speak to a human?",
            "1|agent please",
            "1|Human please, ref {ref}.",
            "2|angry|I've been going back and forth about {ref} for an hour. Please get me a human agent.",
            "2|angry|The bot isn't understanding me. Transfer me to someone, ref {ref}.",
            "2|Can I call someone about {ref}? What's the phone number?",
            "2|angry|This is ridiculous, {flight} was cancelled and nobody is helping. I want a supervisor.",
         ],
         "say": [
            "I understand. I'm transferring you to a customer service agent now.",
            "Sorry for the trouble. I'm connecting you with a colleague and passing along the details of {ref}.",
            "angry|I'm putting you through to a supervisor; they'll have the details of {flight}.",
            "Of course - I'm handing this over to a person who can help. Please hold.",
         ],
         "why": [
            "The user explicitly asks for a person, so handoff_to_human.",
            "angry|They are frustrated and want a human; carrying on automatically would not help.",
            "angry|The user is fed up with the automated help and asks for a person: handoff_to_human.",
            "A request to speak to someone should be handed off, not answered by the bot.",
         ]},
        {"ask": [
            "2|group|I need to book a group of {group} people to {dest} {date}; can a person handle this?",
            "2|complaint|I want to file a formal complaint about the crew on {flight}.",
            "2|legal|My lawyer asked me to get the written incident report for {flight} {past}. Who can I talk to?",
            "2|fraud|Someone used my card to book {ref} - I think it's fraud. I need a human now.",
            "2|lost|I left my laptop on {flight}, who can help?",
            "3|denied|I was denied boarding on {flight} {past} even though I had a confirmed seat on {ref}; I want compensation and I want to talk to a person, not a chatbot.",
         ],
         "say": [
            "group|Groups of {group} are handled by our group desk; I'm transferring you to them now.",
            "complaint|I'm sorry about your experience on {flight}. I'm passing you to a customer relations agent who can take the formal complaint.",
            "legal|Legal and incident reports for {flight} are handled by a specialist team; I'm connecting you now.",
            "fraud|I'm sorry. I'm escalating {ref} to our fraud team right away and connecting you to an agent.",
            "lost|Lost property from {flight} is handled by the airport team; I'm connecting you with an agent who can open a report.",
            "denied|I'm sorry you were denied boarding. I'm transferring you to an agent who can handle compensation for {ref}.",
         ],
         "why": [
            "This needs a person (complaints, fraud, legal or group bookings go beyond what the agent can do): handoff_to_human.",
            "The case needs human judgement and the user asks for it, so hand off.",
            "The agent has no tool for this; a human colleague must take over.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|转人工。",
            "1|我要找人工客服。",
            "1|人工客服，订单{ref}",
            "1|有没有真人啊",
            "2|angry|订单{ref}的问题折腾一个小时了，请给我转人工。",
            "2|angry|你听不懂我说的，给我转人工，订单{ref}。",
            "2|{ref}的事能打电话说吗？电话多少？",
            "2|angry|{flight}取消了也没人管，我要投诉，找你们主管。",
         ],
         "say": [
            "明白，正在为您转接人工客服。",
            "抱歉给您添麻烦了，正在转接同事，{ref}的情况我会一并转过去。",
            "angry|正在为您转接主管，{flight}的情况会同步给他。",
            "好的，马上为您转人工，请稍候。",
         ],
         "why": [
            "用户明确要求人工服务，所以是handoff_to_human。",
            "angry|用户不满意并要求真人处理，继续自动回复没有帮助。",
            "要跟人工沟通的请求应该转接，不该由机器人继续回答。",
         ]},
        {"ask": [
            "2|group|我们{group}个人的团队要{date}去{dest}，这种团体票能让人工处理吗？",
            "2|complaint|我要投诉{flight}上的乘务员态度。",
            "2|legal|律师让我要{past}{flight}的事件报告，我该找谁？",
            "2|fraud|有人盗刷我的卡订了{ref}，这是诈骗，马上给我转人工！",
            "2|lost|我把电脑落在{flight}上了，谁能帮我？",
            "3|denied|{past}的{flight}我明明有确认座位（订单{ref}）却被拒绝登机，我要赔偿，而且要跟真人说，不要机器人。",
         ],
         "say": [
            "group|{group}人的团体票由团队部门处理，正在为您转接。",
            "complaint|很抱歉您在{flight}上的经历，正在转接客户关系专员受理投诉。",
            "legal|{flight}的事件报告由专门团队处理，正在为您转接。",
            "fraud|很抱歉，已将{ref}紧急上报反欺诈团队，并为您转接人工。",
            "lost|{flight}的遗失物品由机场负责，正在转接人工帮您登记。",
            "denied|很抱歉您被拒绝登机，正在转接人工为{ref}处理赔偿。",
         ],
         "why": [
            "投诉、诈骗、法律或团体票超出了智能助手的处理范围，需要人工：handoff_to_human。",
            "这类情况需要人工判断，用户也要求人工，应该转接。",
         ]},
    ],
}

INTENTS["visa_info"] = {
    "en": [
        {"ask": [
            "1|Do I need a visa for {country}?",
            "1|visa requirements for {country}?",
            "2|I hold {a_nationality} passport - do I need a visa to visit {country}?",
            "2|transit|I'm transiting through {via}. Do I need a transit visa on {a_nationality} passport?",
            "2|stay|How long can {nationality} citizens stay in {country} without a visa?",
            "2|passport|My passport expires in {months} months - can I still travel to {country} {date}?",
            "2|kid|Does my kid need a separate visa for {country}? We're {nationality}.",
            "2|evisa|Is there an e-visa for {country}, and how long does it take?",
            "2|business|What documents do I need to enter {country} for a business trip?",
            "3|transit2|We hold {nationality} and {nationality2} passports, flying {origin} to {country} via {via} {date} with a {hours}-hour layover. Which of us needs a visa or transit permit?",
         ],
         "say": [
            "Let me check the entry requirements for {country} for you.",
            "I'll check what {nationality} passport holders need to visit {country}.",
            "transit|I'll look up transit rules in {via} for {nationality} passport holders.",
            "passport|Checking passport validity rules for {country}; many countries want six months left on arrival.",
            "kid|I'll check whether children need their own visa for {country} and what they need to bring.",
            "evisa|Let me look up the e-visa options and processing times for {country}.",
            "transit2|I'll check the rules for both passports on a {hours}-hour layover in {via} and entry into {country}.",
            "business|I'll list the documents {country} asks business travellers for.",
            "stay|Let me check how long {nationality} citizens can stay in {country} without a visa.",
         ],
         "why": [
            "The user asks about entry rules for {country}, so visa_info.",
            "Visa and passport questions depend on nationality and destination, not on a booking.",
            "transit,transit2,business|Transit and entry documents are visa information.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|去{country}需要签证吗？",
            "1|{country}签证要求？",
            "2|我是{nationality}护照，去{country}要办签证吗？",
            "2|transit|我在{via}转机，{nationality}护照需要过境签吗？",
            "2|stay|{nationality}护照在{country}能免签停留多久？",
            "2|passport|护照还有{months}个月到期，{date}还能去{country}吗？",
            "2|kid|小孩去{country}需要单独办签证吗？我们是{nationality}护照。",
            "2|evisa|{country}可以办电子签吗？要多久？",
            "2|business|去{country}出差入境需要哪些材料？",
            "3|transit2|我们一个{nationality}护照一个{nationality2}护照，{date}从{origin}经{via}飞{country}，中转{hours}小时，谁需要办签证或过境许可？",
         ],
         "say": [
            "我来帮您查一下{country}的入境要求。",
            "我查一下{nationality}护照去{country}需要什么。",
            "transit|帮您查{nationality}护照在{via}转机的过境规定。",
            "passport|我查一下{country}对护照有效期的要求，很多国家要求入境时还有6个月有效期。",
            "kid|我查一下儿童去{country}是否需要单独签证，以及要带什么材料。",
            "evisa|帮您查{country}电子签的办理方式和时间。",
            "transit2|我分别查一下两本护照在{via}中转{hours}小时和入境{country}的规定。",
            "business|我把{country}商务入境需要的材料整理给您。",
            "stay|我查一下{nationality}护照在{country}免签能停留多久。",
         ],
         "why": [
            "问的是去{country}的入境规定，所以是visa_info。",
            "签证和护照问题取决于国籍和目的地，不涉及订单。",
            "transit,transit2,business|过境和入境材料属于签证信息。",
         ]},
    ],
}

INTENTS["price_alert"] = {
    "en": [
        {"ask": [
            "1|Tell me when flights to {dest} get cheaper.",
            "1|price alert for {dest} please",
            "2|Alert me if {origin} to {dest} drops below {budget}.",
            "2|Can you watch prices for {flight} {date} and ping me if they fall?",
            "2|Set a fare alert: {origin_code}-{dest_code}, {date}, under {budget}.",
            "2|I'm not ready to book yet. Let me know if fares to {dest} {date} go down.",
            "2|Watch {origin} to {dest} for me and tell me about any sale.",
            "2|Is there a way to get notified when {airline} has a deal to {dest}?",
            "3|Track round-trip {cabin} fares {origin} to {dest}, leaving {date} and returning {date2}, for {n_pax}, and email {email} if the total goes under {budget}.",
         ],
         "say": [
            "Done - I'll alert you when fares to {dest} drop.",
            "Fare alert set for {origin} to {dest}; you'll hear from me if it goes under {budget}.",
            "I'm watching {flight} {date} and will ping you if the price falls.",
            "Alert created: {origin_code} to {dest_code}, {date}, below {budget}.",
            "I'll keep an eye on {airline} fares to {dest} and notify you about deals.",
            "Tracking {cabin} round trips for {n_pax}; I'll email {email} when the total is under {budget}.",
         ],
         "why": [
            "The user doesn't want to book now but to be told when prices fall: price_alert.",
            "A target price ({budget}) and a request to be notified mean a fare alert, not a search.",
            "Watching fares over time is a price alert.",
         ]},
    ],
    "zh": [
        {"ask": [
            "1|{dest}的机票降价了告诉我。",
            "1|订阅{dest}特价机票",
            "2|{origin}到{dest}低于{budget}的时候提醒我。",
            "2|帮我盯一下{date}{flight}的价格，降了通知我。",
            "2|设个低价提醒：{origin_code}-{dest_code}，{date}，{budget}以下。",
            "2|现在还不想订，{date}去{dest}的票要是便宜了跟我说一声。",
            "2|{origin}飞{dest}有促销的话通知我。",
            "2|{airline}去{dest}有特价能提醒我吗？",
            "3|帮我跟踪{origin}往返{dest}的{cabin}价格，{date}去{date2}回，{n_pax}，总价低于{budget}就发邮件到{email}。",
         ],
         "say": [
            "好的，去{dest}的机票降价时我会提醒您。",
            "已设置{origin}到{dest}的低价提醒，低于{budget}就通知您。",
            "已开始关注{date}{flight}的价格，降价会第一时间通知您。",
            "提醒已创建：{origin_code}到{dest_code}，{date}，{budget}以下。",
            "我会关注{airline}飞{dest}的特价，有活动就通知您。",
            "已开始跟踪{n_pax}的{cabin}往返价格，总价低于{budget}就发邮件到{email}。",
         ],
         "why": [
            "用户暂时不订票，只想在降价时收到通知：price_alert。",
            "有目标价格{budget}并要求提醒，是低价提醒而不是查询。",
            "盯价格、等降价再买，属于低价提醒。",
        ]},
    ],
}

# Dialogues where an earlier exchange leads to the final request.
CHAINS = {
    "en": [
        {"action": "book_flight",
         "turns": [["Find me flights from {origin} to {dest} {date}.",
                    "I found {n_options} options. The best are {flight} at {dep_time} for {price} and {flight2} at {dep_time2} for {price2}.",
                    "Book the {dep_time} one for {pax}."],
                   ["any flights {origin} to {dest} {date}?",
                    "Yes: {flight} leaves at {dep_time} ({price}) and {flight2} at {dep_time2} ({price2}).",
                    "The {dep_time} works. Book it, name {pax}."]],
         "say": ["Done - {pax} is booked on {flight} at {dep_time}. Your booking reference is {new_ref}.",
                 "Booked {flight} for {pax}; reference {new_ref}. Confirmation is on its way."],
         "why": ["Options were already listed; the user picked the {dep_time} flight and gave a name, so it's time to book.",
                 "The search is done and the user has chosen {flight}: book_flight."]},
        {"action": "book_flight",
         "turns": [["What's there from {origin} to {dest} {date}?",
                    "Two good options: {flight} at {dep_time} for {price}, or {flight2} at {dep_time2} for {price2}.",
                    "{flight2} works. Book it for me please."]],
         "say": ["Booked {flight2} at {dep_time2} for you. Reference {new_ref}.",
                 "You're on {flight2}. Your reference is {new_ref}."],
         "why": ["The user chose the second option from the list; the final message asks to book it."]},
        {"action": "change_flight",
         "turns": [["Is {flight} on time {soon}?",
                    "{flight} is delayed by about {delay} and the new departure time is not confirmed yet.",
                    "That's way too late for me. Can you move me to an earlier flight? Booking {ref}."],
                   ["status of {flight}?",
                    "{flight} is running {delay} late at the moment.",
                    "Ugh. Put me on something earlier then, ref {ref}."]],
         "say": ["Sorry about the delay. Let me look for earlier flights for booking {ref}.",
                 "I'll check earlier departures for {ref} and what, if anything, the change costs given the delay."],
         "why": ["The status question was answered; after hearing about the delay the user asks to move to another flight, so change_flight.",
                 "The last message asks to switch flights because of the delay on {flight}: a change, not a status check."]},
        {"action": "request_refund",
         "turns": [["Did my cancellation for {ref} go through?",
                    "Yes - booking {ref} is cancelled. Is there anything else I can help with?",
                    "Yes, I want the money back on my card, not a voucher."]],
         "say": ["I've requested a refund to your original card for {ref}. It usually takes 7-10 business days.",
                 "Refund to your card requested for {ref}; no voucher."],
         "why": ["The booking is already cancelled; the follow-up asks for the money back, which is a refund, not another cancellation."]},
        {"action": "select_seat",
         "turns": [["Book me on {flight} {date}.",
                    "You're booked on {flight}. Reference {new_ref}.",
                    "Great. Can I get {a_seat}?"],
                   ["Please book {flight} for {pax}.",
                    "Done - {pax} is on {flight}, reference {new_ref}.",
                    "Thanks! Could you put {pax} in {a_seat}?"]],
         "say": ["Sure, I'll get you {a_seat} on {flight}.", "Let me find {a_seat} on {flight} for {pax}."],
         "why": ["The booking is done; the new request is for a particular seat on it, so select_seat."]},
        {"action": "baggage_info",
         "turns": [["Check me in for {flight}, last name {last}.",
                    "You're checked in for {flight}. Your boarding pass has been sent to your email.",
                    "Thanks. How many checked bags do I get?"],
                   ["Check in ref {ref} please.",
                    "All done - you're checked in on {ref}.",
                    "Cool. Can I bring {bag_item} in the cabin?"]],
         "say": ["Let me look up the checked-bag allowance for your ticket on {flight}.",
                 "I'll check the rules for {bag_item} on your flight."],
         "why": ["Check-in is already done; the final question is about luggage: baggage_info."]},
        {"action": "price_alert",
         "turns": [["How much is {origin} to {dest} {date}?",
                    "The lowest fare I can see right now is {price} on {flight}.",
                    "Too much. Tell me if it drops under {target}."]],
         "say": ["Got it - I'll alert you if {origin} to {dest} {date} drops below {target}.",
                 "Fare alert set at {target} for {origin} to {dest}."],
         "why": ["The user saw the price and chose not to buy; asking to be told when it falls below {target} is a price alert."]},
        {"action": "handoff_to_human",
         "turns": [["Why was I charged a {fee} change fee on {ref}?",
                    "Your fare includes a {fee} fee for changes made within 7 days of departure.",
                    "That's not what I was told on the phone. I want to speak to a person."],
                   ["I still haven't got my refund for {ref}.",
                    "I can see the refund for {ref} was approved and should arrive within 10 business days.",
                    "You said that last week too. Get me a human."]],
         "say": ["I understand. I'm transferring you to a customer service agent now, with the details of {ref}.",
                 "Sorry about this. Connecting you with a colleague who can look into {ref} personally."],
         "why": ["The user disputes the answer and explicitly asks for a person, so handoff_to_human.",
                 "After an unsatisfying answer the user asks for a human; the agent should hand off."]},
        {"action": "check_in",
         "turns": [["Is {flight} on schedule?",
                    "Yes, {flight} is on time, departing at {dep_time} from gate {gate}.",
                    "Perfect, then check me in. Ref {ref}, last name {last}."]],
         "say": ["Checking you in on {ref} now - your boarding pass for {flight} will be sent to your email.",
                 "You're checked in for {flight}, {last}. Boarding pass on its way."],
         "why": ["The status question was answered; the last message asks to check in, so check_in."]},
        {"action": "cancel_booking",
         "turns": [["How much to move {ref} to {day}?",
                    "Changing to {day} would cost {fee} plus a fare difference of {price}.",
                    "Forget it then. Just cancel the whole booking."]],
         "say": ["Understood. I've cancelled booking {ref}; I'll tell you what refund or credit your fare allows.",
                 "Booking {ref} is cancelled. You'll get a confirmation email shortly."],
         "why": ["The user first asked about a change but rejected the cost; the final message asks to cancel, so cancel_booking."]},
        {"action": "search_flights",
         "turns": [["Flights from {origin} to {dest} {date}?",
                    "The cheapest is {flight} at {dep_time} for {price}.",
                    "Anything cheaper if I leave {date2}?"]],
         "say": ["Let me search {origin} to {dest} again for departures {date2} and compare the fares."],
         "why": ["The user wants to compare with another date; nothing is chosen yet, so another search."]},
        {"action": "loyalty_points",
         "turns": [["Book {flight} {date} for me.",
                    "I can book {flight} for {price}. Should I go ahead?",
                    "Can I pay with miles instead? My number is {member}."]],
         "say": ["Let me check the miles on {member} and whether {flight} can be booked with points."],
         "why": ["Before booking, the user asks to pay with miles; checking the points balance and award price is a loyalty task."]},
        {"action": "special_assistance",
         "turns": [["I just booked {ref} for my dad.",
                    "Great! How can I help with booking {ref}?",
                    "He'll need {need} on that trip."]],
         "say": ["I've added {need} to booking {ref} for your dad."],
         "why": ["The booking exists; the new request is a service for a traveller with special needs: special_assistance."]},
        {"action": "flight_status",
         "turns": [["Can you confirm I'm booked on {flight} {date}? Ref {ref}.",
                    "Yes, you're confirmed on {flight} {date}, seat {seat}.",
                    "Is it running on time?"]],
         "say": ["Let me check the live status of {flight} for you."],
         "why": ["The booking is confirmed; the follow-up asks whether {flight} is on time, which is a status lookup."]},
        {"action": "visa_info",
         "turns": [["I'm planning a trip to {country} {date}.",
                    "Sounds great! Would you like me to look for flights?",
                    "Not yet. First, do I need a visa? I have {a_nationality} passport."]],
         "say": ["Let me check what {nationality} passport holders need to enter {country}."],
         "why": ["The user puts flights aside and asks about entry rules for {country}: visa_info."]},
    ],
    "zh": [
        {"action": "book_flight",
         "turns": [["帮我查{date}{origin}到{dest}的航班。",
                    "找到{n_options}班，推荐{flight}，{dep_time}起飞，{price}；还有{flight2}，{dep_time2}起飞，{price2}。",
                    "就订{dep_time}那班，乘机人{pax}。"]],
         "say": ["已为{pax}订好{flight}（{dep_time}起飞），订单号{new_ref}。"],
         "why": ["航班已经查过，用户选了{dep_time}那班并给了乘机人，应该下单：book_flight。"]},
        {"action": "change_flight",
         "turns": [["{soon}的{flight}准点吗？",
                    "{flight}预计延误{delay}，新的起飞时间还没确定。",
                    "太晚了，能帮我换个早点的航班吗？订单{ref}。"]],
         "say": ["抱歉航班延误了，我帮您查一下订单{ref}可以改到哪些更早的航班。"],
         "why": ["航班动态已经回答了，用户得知延误后要求换航班，所以是change_flight。"]},
        {"action": "request_refund",
         "turns": [["{ref}取消成功了吗？",
                    "是的，订单{ref}已经取消。还有什么可以帮您？",
                    "有，钱要退回我的卡上，不要代金券。"]],
         "say": ["已为订单{ref}申请原路退款，一般7到10个工作日到账。"],
         "why": ["订单已取消，后续要求是把钱退回来，这是退款而不是再次取消。"]},
        {"action": "select_seat",
         "turns": [["帮我订{date}的{flight}。",
                    "已订好{flight}，订单号{new_ref}。",
                    "好的，能给我选个{a_seat}吗？"]],
         "say": ["好的，我帮您在{flight}上选{a_seat}。"],
         "why": ["机票已订好，新的需求是选特定座位：select_seat。"]},
        {"action": "baggage_info",
         "turns": [["帮我值机，{flight}，乘机人{pax}。",
                    "已为您办好{flight}的值机，登机牌已发送。",
                    "谢谢。能托运几件行李？"]],
         "say": ["我查一下您这张{flight}机票的托运行李额度。"],
         "why": ["值机已完成，最后问的是行李额度：baggage_info。"]},
        {"action": "price_alert",
         "turns": [["{date}{origin}到{dest}多少钱？",
                    "目前最低是{flight}，{price}。",
                    "太贵了，低于{target}的时候告诉我。"]],
         "say": ["好的，{origin}到{dest}{date}的价格低于{target}时我会通知您。"],
         "why": ["用户看了价格不想现在买，要求降到{target}以下时提醒：price_alert。"]},
        {"action": "handoff_to_human",
         "turns": [["为什么{ref}收了{fee}的改签费？",
                    "您的票价规则规定，起飞前7天内改签收取{fee}。",
                    "电话里不是这么说的，我要找人工。"]],
         "say": ["理解，正在为您转接人工客服，{ref}的情况会一并转过去。"],
         "why": ["用户对答复有异议并明确要求人工，所以是handoff_to_human。"]},
        {"action": "check_in",
         "turns": [["{flight}正常吗？",
                    "{flight}目前准点，{dep_time}从{gate}登机口起飞。",
                    "好，那帮我值机，订单{ref}，乘机人{pax}。"]],
         "say": ["正在为订单{ref}办理值机，{flight}的登机牌稍后发给您。"],
         "why": ["航班状态已回答，最后要求值机：check_in。"]},
        {"action": "cancel_booking",
         "turns": [["{ref}改到{date}要多少钱？",
                    "改到{date}需要改签费{fee}，另加差价{price}。",
                    "那算了，直接把整个订单取消吧。"]],
         "say": ["明白，已取消订单{ref}，可退金额会按规则通知您。"],
         "why": ["用户先问改签，但嫌贵，最后要求取消整个订单：cancel_booking。"]},
        {"action": "search_flights",
         "turns": [["{date}{origin}到{dest}有什么航班？",
                    "最便宜的是{flight}，{dep_time}起飞，{price}。",
                    "如果{date2}走有没有更便宜的？"]],
         "say": ["我再查一下{date2}出发的{origin}到{dest}航班，比较一下价格。"],
         "why": ["用户想换个日期比价，还没选定航班，继续查询。"]},
        {"action": "loyalty_points",
         "turns": [["帮我订{date}的{flight}。",
                    "{flight}现在是{price}，需要为您下单吗？",
                    "能用里程换吗？会员号{member}。"]],
         "say": ["我查一下{member}的里程余额，以及{flight}能不能用里程兑换。"],
         "why": ["订票前用户想用里程支付，查余额和兑换标准属于loyalty_points。"]},
        {"action": "flight_status",
         "turns": [["帮我确认一下{date}的{flight}，订单{ref}。",
                    "已确认，您在{date}的{flight}上，座位{seat}。",
                    "会准点吗？"]],
         "say": ["我来查一下{flight}的实时动态。"],
         "why": ["订单已确认，追问的是{flight}是否准点，属于航班动态。"]},
    ],
}

# Pieces of generic dialogues.
DIALOGUE_TEXT = {
    "en": {
        "greet": ["Hi, I'm your travel assistant. How can I help?",
                  "Hello! What can I do for you today?",
                  "Welcome back! How can I help with your travel plans?"],
        "vague": ["Hi, I need some help with a trip", "hello?", "I have a question about my booking",
                  "Can you help me with something", "hey there", "I've got a problem with my flight",
                  "quick question", "Hi, it's about my trip next week"],
        "probe": ["Of course! What can I help you with?",
                  "Sure - is this about a new trip or an existing booking?",
                  "Happy to help. What's going on?",
                  "I'm here. What do you need?"],
        "connect": ["Thanks. ", "Ok great. ", "Perfect, thank you! ", "Got it. ",
                    "Another thing. ", "Thanks! One more question. ", "Alright. "],
        "why_switch": "Earlier the conversation was about {prev}; the last message is a new request about {cur}. ",
        "why_clarify": "The first message was too vague to act on; after the assistant asked, the user made clear it's about {cur}. ",
        "why_greet": "After the greeting, the user asks about {cur}. ",
    },
    "zh": {
        "greet": ["您好，我是您的出行助手，有什么可以帮您？",
                  "您好！今天需要办理什么业务？",
                  "欢迎回来！行程上有什么需要帮忙的吗？"],
        "vague": ["你好，我想问个事", "在吗", "我的订单有点问题", "能帮我个忙吗",
                  "我的航班有点问题", "问一下", "你好，关于下周的行程"],
        "probe": ["当然，请问需要什么帮助？", "好的，是新的行程还是已有的订单？",
                  "您说，我在听。", "在的，请讲。"],
        "connect": ["好的，谢谢。另外，", "行。还有个事，", "明白了。", "好。顺便问下，",
                    "谢谢！再问一下，"],
        "why_switch": "前面聊的是{prev}，已经回复过了；最后一句是关于{cur}的新需求。",
        "why_clarify": "第一句话太笼统，助手追问后用户才说明是关于{cur}的事。",
        "why_greet": "问候之后，用户提出的是{cur}。",
    },
}

DESC = {
    "en": {"search_flights": "a flight search", "book_flight": "booking a flight",
           "cancel_booking": "cancelling a booking", "change_flight": "changing a flight",
           "request_refund": "a refund", "baggage_info": "baggage",
           "check_in": "check-in", "select_seat": "choosing a seat",
           "loyalty_points": "miles and points", "flight_status": "a flight's status",
           "special_assistance": "special assistance", "handoff_to_human": "talking to a human agent",
           "visa_info": "visa requirements", "price_alert": "a fare alert"},
    "zh": {"search_flights": "查航班", "book_flight": "订机票", "cancel_booking": "取消订单",
           "change_flight": "改签", "request_refund": "退款", "baggage_info": "行李",
           "check_in": "值机", "select_seat": "选座", "loyalty_points": "里程积分",
           "flight_status": "航班动态", "special_assistance": "特殊服务",
           "handoff_to_human": "转人工", "visa_info": "签证", "price_alert": "低价提醒"},
}

# Deliberately ambiguous requests, each labelled with the most reasonable action.
AMBIGUOUS = {
    "en": [
        {"action": "change_flight",
         "ask": ["I want to change or cancel my flight {ref}, whichever is cheaper.",
                 "Either move booking {ref} to {day} or just cancel it - whatever costs me less."],
         "say": ["Let me compare both: I'll check the change fee and fare difference for {ref} against what you'd get back by cancelling, and recommend the cheaper option before doing anything."],
         "why": ["The user accepts either; changing usually keeps more of the ticket's value than cancelling, so start with change_flight and quote both costs before acting."]},
        {"action": "baggage_info",
         "ask": ["my bag from {flight} is late and I want my money back",
                 "Bag still hasn't arrived after {flight}. I want a refund!",
                 "They lost my suitcase on {flight} {past}, refund me."],
         "say": ["I'm sorry your bag is delayed. I'll open a delayed-baggage report for {flight} and check what you can claim for essentials while you wait."],
         "why": ["The flight itself was used, so a ticket refund doesn't apply; compensation for a late bag goes through the baggage claim, so baggage_info."]},
        {"action": "change_flight",
         "ask": ["{flight} got cancelled. What now?",
                 "The airline cancelled my flight to {dest} {date}, what are my options?"],
         "say": ["I'm sorry. I'll look for the next available flights and rebook you at no cost; if you'd rather not travel, you can have a full refund instead."],
         "why": ["A cancelled flight could mean rebooking or a refund; most travellers still want to get there, so rebook first (change_flight) and offer the refund."]},
        {"action": "search_flights",
         "ask": ["Is there a cheaper flight than the one I booked? Ref {ref}",
                 "I think I overpaid for {flight}. Anything cheaper that day?"],
         "say": ["Let me search the same route and day for lower fares; if there's a real saving after fees, I can change your booking."],
         "why": ["Nothing can be changed until we know a cheaper option exists, so search first; a change may follow."]},
        {"action": "baggage_info",
         "ask": ["Flying with my {child_age}-month-old on {flight}, what can I bring for her?",
                 "What can I take for the baby on {flight}? She's {child_age} months."],
         "say": ["For babies you can usually bring a stroller, a car seat and baby food or milk beyond the liquid limits; let me check the exact allowance on {flight}."],
         "why": ["It could be special assistance, but the question is what items may come along, which is the baggage allowance for infants."]},
        {"action": "change_flight",
         "ask": ["I can't make it {date} anymore. Booking {ref}.",
                 "{Day} doesn't work for me now, ref {ref}."],
         "say": ["Would another day work? I can look at moving {ref} to a new date; if you'd rather cancel, I can do that instead."],
         "why": ["The user can't travel that day but didn't say the trip is off; offering a new date (a change) fits better than cancelling outright."]},
        {"action": "loyalty_points",
         "ask": ["Can I get an upgrade on {flight} with my points?",
                 "Use my miles to bump me up on {flight}?"],
         "say": ["Let me check your points balance and whether an upgrade on {flight} is available with points."],
         "why": ["It touches seats, but paying for an upgrade with points is a loyalty redemption, so loyalty_points."]},
        {"action": "check_in",
         "ask": ["The app won't let me check in for {ref} and I need a seat next to my daughter.",
                 "Can't check in on {ref}, and we need to sit together!"],
         "say": ["Let me check you in on {ref} from here first; once you're checked in I'll seat you next to your daughter."],
         "why": ["Both check-in and seating come up, but check-in is blocking and seats can be set during it, so check_in first."]},
        {"action": "request_refund",
         "ask": ["You charged me twice for {ref}!!", "Double charge on {ref}, what is going on"],
         "say": ["I'm sorry about that. I've raised a refund for the duplicate charge on {ref}; it should be back on your card within a few days."],
         "why": ["The user is upset, but a duplicate charge is fixed with a refund and they didn't ask for a person, so request_refund."]},
        {"action": "visa_info",
         "ask": ["I'm going to {country} next month, what do I need?",
                 "Heading to {country} {date}. Anything I should sort out before?"],
         "say": ["For {country}, the main thing to check is entry requirements; let me look up visa and passport rules for you."],
         "why": ["'What do I need' for an international trip most often means entry documents, so visa_info rather than baggage."]},
        {"action": "flight_status",
         "ask": ["There's a storm coming - is it even worth going to the airport for {flight}?",
                 "Snow in {origin}. Should I still head out for {flight}?"],
         "say": ["Let me check the current status of {flight}; if it's delayed or cancelled I'll help you change it."],
         "why": ["The user might end up changing the flight, but first they need to know whether {flight} is affected: flight_status."]},
        {"action": "change_flight",
         "ask": ["Cancel {ref}. Actually no, wait - can I move it to {day} instead?",
                 "Please cancel my flight... hmm, or could I just push it to {day}? ref {ref}"],
         "say": ["No problem, I won't cancel. Let me check moving {ref} to {day} and what it would cost."],
         "why": ["The user corrected themselves; the latest intent is to move the booking to {day}, so change_flight."]},
        {"action": "handoff_to_human",
         "ask": ["Why is my refund for {ref} taking so long?? I want to talk to someone.",
                 "Refund for {ref} is a month late. Real person please."],
         "say": ["I'm sorry for the wait. I'm connecting you with an agent now and passing along the refund details for {ref}."],
         "why": ["It is about a refund, but the user explicitly asks for a person, so handoff_to_human."]},
        {"action": "loyalty_points",
         "ask": ["How many points would I earn flying {origin} to {dest} in {cabin}?",
                 "If I book {flight}, how many miles do I get?"],
         "say": ["Let me work out the miles you'd earn on that trip; I can book it afterwards if you like."],
         "why": ["The user hasn't asked to book; they want to know the points earned, so loyalty_points."]},
        {"action": "flight_status",
         "ask": ["If {flight} is delayed I want to switch to another flight.",
                 "Switch me if {flight} is late."],
         "say": ["Let me check {flight}'s status first; if it's delayed I'll find you another flight."],
         "why": ["The change depends on a delay, so the status has to be checked first: flight_status."]},
        {"action": "check_in",
         "ask": ["I lost my boarding pass for {flight}.", "Can't find my boarding pass for {flight}!"],
         "say": ["No problem, I'll resend your boarding pass for {flight}."],
         "why": ["Boarding passes come from check-in, so reissuing one is check_in rather than a human handoff."]},
        {"action": "search_flights",
         "ask": ["I need to get home to {origin} ASAP, family emergency.",
                 "Emergency - I need the next flight to {dest}."],
         "say": ["I'm so sorry. Let me find the soonest available flights right now."],
         "why": ["It is urgent and emotional, but the user hasn't asked for a person; the fastest help is to search the next flights."]},
        {"action": "special_assistance",
         "ask": ["My flight {ref} was changed and now the connection is really tight - I use a wheelchair.",
                 "Only 45 minutes to connect in {via} on {ref} and I'm in a wheelchair. Will I make it?"],
         "say": ["I'll arrange wheelchair assistance to meet you at the aircraft and take you straight to your connection; if it still looks too tight, I can look at a later connection."],
         "why": ["A later flight is an option, but the immediate need is assistance that makes the connection possible, so special_assistance."]},
        {"action": "cancel_booking",
         "ask": ["I don't want to go anymore, can I get my money back for {ref}?",
                 "Not travelling after all. Money back for {ref}?"],
         "say": ["I can cancel {ref} for you; the refund depends on your fare rules and I'll tell you the amount before confirming."],
         "why": ["The booking is still active, so it has to be cancelled first; the refund follows from the cancellation."]},
        {"action": "price_alert",
         "ask": ["Flights to {dest} are too pricey right now. Any way to know when they're cheaper?",
                 "Not paying that much for {dest}. Let me know later?"],
         "say": ["I can set a fare alert for {dest} and tell you when prices drop."],
         "why": ["The user isn't buying now and wants to know when prices fall, so a price alert rather than another search."]},
    ],
    "zh": [
        {"action": "change_flight",
         "ask": ["{ref}改签还是退票，哪个便宜就办哪个。", "订单{ref}要么改到{date}，要么直接退，看哪个花钱少。"],
         "say": ["我先比较一下：{ref}改签的费用和差价，对比退票能退回多少，再告诉您哪个更划算。"],
         "why": ["两种都可以，改签通常比退票保留更多票款，所以先按改签处理，同时报出两种费用再办理。"]},
        {"action": "baggage_info",
         "ask": ["坐{flight}行李到现在还没到，我要退钱！", "{flight}把我行李弄丢了，退钱！"],
         "say": ["很抱歉行李延误了，我先为{flight}登记行李延误，并查一下等待期间可以报销哪些必需品。"],
         "why": ["航班本身已经坐了，不适用机票退款；行李延误的补偿走行李理赔，所以是baggage_info。"]},
        {"action": "change_flight",
         "ask": ["{flight}被取消了，现在怎么办？", "航司把我{date}去{dest}的航班取消了，我有什么选择？"],
         "say": ["很抱歉。我先帮您免费改到最近的航班；如果不想走了，也可以全额退款。"],
         "why": ["航班取消后可以改签也可以退款，大多数人还是要出行，所以先改签，同时告知可退款。"]},
        {"action": "search_flights",
         "ask": ["有没有比我订的{ref}更便宜的航班？", "{flight}是不是买贵了？那天有更便宜的吗？"],
         "say": ["我先查一下同一航线同一天有没有更低的价格，扣除手续费后确实划算再帮您改。"],
         "why": ["不知道有没有更便宜的之前没法改签，先查询。"]},
        {"action": "cancel_booking",
         "ask": ["{ref}不想去了，能退票吗？", "不去了，{ref}帮我退票。"],
         "say": ["可以帮您取消{ref}，能退多少按票价规则计算，确认前先告诉您金额。"],
         "why": ["“退票”包含取消和退款，订单目前还有效，要先取消，退款随取消一并处理。"]},
        {"action": "loyalty_points",
         "ask": ["{flight}能用积分升舱吗？", "用里程把{flight}升个舱？"],
         "say": ["我查一下您的里程余额，以及{flight}能否用里程升舱。"],
         "why": ["虽然涉及座位，但用积分升舱是里程兑换，所以是loyalty_points。"]},
        {"action": "check_in",
         "ask": ["{ref}在APP上值不了机，我还要跟女儿坐一起。", "{ref}值机不了，而且我们要坐一起！"],
         "say": ["我先在这里为{ref}办理值机，办好后帮您和女儿安排相邻座位。"],
         "why": ["既有值机也有选座，但值机卡住了，座位可以在值机时一起选，所以先check_in。"]},
        {"action": "request_refund",
         "ask": ["{ref}被扣了两次钱！！", "{ref}重复扣款，怎么回事"],
         "say": ["很抱歉，已为{ref}的重复扣款申请退款，几天内退回您的卡。"],
         "why": ["用户很生气，但重复扣款退款就能解决，也没要求人工，所以是request_refund。"]},
        {"action": "handoff_to_human",
         "ask": ["{ref}的退款怎么这么慢？我要找人说话。", "{ref}退款拖了一个月了，转真人。"],
         "say": ["抱歉让您久等了，正在为您转接人工，并把{ref}的退款情况一起转过去。"],
         "why": ["虽然是退款问题，但用户明确要求找人，所以转人工。"]},
        {"action": "change_flight",
         "ask": ["取消{ref}吧……算了等等，能改到{date}吗？", "帮我取消航班……要不还是改到{date}吧，订单{ref}"],
         "say": ["好的，先不取消。我查一下把{ref}改到{date}的费用。"],
         "why": ["用户改口了，最新的意图是改到{date}，所以是change_flight。"]},
        {"action": "flight_status",
         "ask": ["{flight}要是延误我就换别的航班。", "{flight}晚点的话帮我换。"],
         "say": ["我先查一下{flight}的状态，如果延误就帮您找别的航班。"],
         "why": ["是否改签取决于有没有延误，所以先查航班动态。"]},
        {"action": "visa_info",
         "ask": ["下个月去{country}，要准备什么？", "{date}去{country}，出发前要办什么？"],
         "say": ["去{country}最重要的是入境要求，我帮您查一下签证和护照规定。"],
         "why": ["出国问“要准备什么”，最常见的是入境材料，所以是visa_info而不是行李。"]},
        {"action": "check_in",
         "ask": ["{flight}的登机牌找不到了。", "{flight}登机牌丢了怎么办"],
         "say": ["没关系，我重新给您发一份{flight}的登机牌。"],
         "why": ["登机牌来自值机，补发登机牌属于check_in，不需要转人工。"]},
        {"action": "price_alert",
         "ask": ["去{dest}的票现在太贵了，有什么办法知道什么时候便宜？", "{dest}现在的价格我不会买的，以后便宜了说一声？"],
         "say": ["可以为{dest}设置低价提醒，降价时通知您。"],
         "why": ["用户现在不买，想知道什么时候降价，所以是低价提醒而不是再查一次。"]},
        {"action": "baggage_info",
         "ask": ["带{child_age}个月的宝宝坐{flight}，能带哪些东西？", "宝宝{child_age}个月，坐{flight}能带什么？"],
         "say": ["带婴儿一般可以带婴儿车、安全座椅和超出液体限制的奶粉辅食，我查一下{flight}的具体额度。"],
         "why": ["也可以算特殊服务，但问的是能带哪些物品，属于婴儿行李额度。"]},
    ],
}


if __name__ == "__main__":
    sys.exit(main())
