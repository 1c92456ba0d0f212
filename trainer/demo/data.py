"""Demo bureau: units and people with realistic (generated, fictitious) Chinese names. Pure and deterministic."""
from __future__ import annotations

import random

BUREAU = "某区城市管理局"
# (name, kind, parent name or None)
UNITS: list[tuple[str, str, str | None]] = [
    (BUREAU, "局", None),
    ("办公室", "股室", BUREAU),
    ("法制股", "股室", BUREAU),
    ("市容环卫股", "股室", BUREAU),
    ("市政设施股", "股室", BUREAU),
    ("综合行政执法大队", "大队", BUREAU),
    ("综合执法一中队", "中队", "综合行政执法大队"),
    ("综合执法二中队", "中队", "综合行政执法大队"),
    ("综合执法三中队", "中队", "综合行政执法大队"),
    ("渣土管理中队", "中队", "综合行政执法大队"),
    ("环卫所", "所", BUREAU),
]
# Staff per unit (sums to 180).
STAFF_PER_UNIT = {
    "综合执法一中队": 34, "综合执法二中队": 32, "综合执法三中队": 30, "渣土管理中队": 20, "环卫所": 24,
    "办公室": 10, "法制股": 8, "市容环卫股": 12, "市政设施股": 10,
}
SUPERVISORS = [
    # login, name, unit, supervised units
    ("zg01", "高建国", "综合行政执法大队", ["综合行政执法大队"]),
    ("zg02", "林海燕", "市容环卫股", ["市容环卫股", "环卫所"]),
    ("zg03", "邓志强", "法制股", ["法制股", "办公室", "市政设施股"]),
]
ADMIN = ("admin", "系统管理员", "法制股")
DEMO_PASSWORD = "Demo1234"
DEMO_STAFF_LOGIN = "100001"

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")



def _given_names() -> list[str]:
    singles = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华辉斌鹏飞凯琳雪梅婷宁亮波健峰")
    doubles = ["秀英", "桂英", "建国", "志强", "海燕", "俊峰", "晓东", "雪梅", "春花", "永红", "国庆", "宏伟",
               "丹丹", "思远", "子涵", "欣怡", "浩然", "宇轩", "一鸣", "嘉怡", "雨婷", "晨曦", "家豪", "佳琪",
               "文博", "鑫磊", "立新", "玉兰", "红梅", "卫东", "振华", "小龙", "晓明", "海波", "建华", "丽娟",
               "志刚", "燕妮", "春燕", "明辉", "德胜", "秀梅", "金凤", "少华", "国强", "志伟", "晓燕", "文静"]
    return singles + doubles


def staff_people(seed: int = 2026) -> list[tuple[str, str, str]]:
    """180 (login, name, unit) tuples; logins 100001… ; names unique."""
    rng = random.Random(seed)
    given = _given_names()
    people, used = [], set()
    n = 1
    for unit, count in STAFF_PER_UNIT.items():
        for _ in range(count):
            while True:
                name = rng.choice(SURNAMES) + rng.choice(given)
                if name not in used:
                    used.add(name)
                    break
            people.append((f"{100000 + n}", name, unit))
            n += 1
    return people
