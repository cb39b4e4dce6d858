"""Generate the programmatic part of data/crisis/sealed/everyday_eval.txt (sealed set 10).

Why: the sealed everyday set must be large (3,000+ lines) to measure the false-alarm rate of the
crisis signal, but at most ~40% of it may be combinations; the rest is hand-written. This script
combines the evaluator's own word lists (foods, places, things, feelings, times, endings) into
everyday messages full of "-고 싶다" wishes and die-of-X hyperbole, then appends them below the
"generated" marker, skipping anything already in the hand-written part. Deterministic (fixed seed).

Run from the worktree root:  python scripts/sealed_sets/gen_everyday.py [--count 1160]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TARGET = Path("data/crisis/sealed/everyday_eval.txt")
MARKER = "# ---- generated below by scripts/sealed_sets/gen_everyday.py (programmatic combinations) ----"

FOODS = ["치킨", "피자", "떡볶이", "마라탕", "삼겹살", "초밥", "짜장면", "짬뽕", "냉면", "국밥", "라면",
         "햄버거", "파스타", "족발", "보쌈", "곱창", "닭갈비", "김치찌개", "된장찌개", "부대찌개", "순두부",
         "돈까스", "쌀국수", "타코", "샐러드", "탕후루", "붕어빵", "호떡", "빙수", "케이크", "마카롱",
         "아이스크림", "도넛", "크로플", "김밥", "회", "갈비", "찜닭", "훠궈", "양꼬치", "감자탕", "칼국수"]
PLACES = ["제주도", "부산", "강릉", "여수", "전주", "경주", "속초", "일본", "오사카", "도쿄", "대만", "다낭",
          "방콕", "파리", "런던", "뉴욕", "스위스", "발리", "하와이", "바다", "계곡", "캠핑장", "놀이공원",
          "워터파크", "찜질방", "동물원", "수족관", "뷔페", "전시회", "콘서트", "야구장", "한강 공원",
          "북카페", "온천", "스키장", "꽃구경", "단풍 구경", "야시장"]
THINGS = ["꽃", "새 신발", "패딩", "원피스", "후드티", "향수", "립밤", "노트북", "아이패드", "에어팟",
          "키보드", "닌텐도", "카메라", "자전거", "캠핑 의자", "텀블러", "다이어리", "화분", "조명",
          "러그", "쿠션", "안경", "가방", "시계", "반지", "머그컵", "이불", "잠옷", "운동화", "모자"]
ACTIVITIES = ["낮잠 자고", "늦잠 자고", "영화 보고", "드라마 정주행하고", "게임하고", "산책하고", "운동하고",
              "수영하고", "노래방 가고", "쇼핑하고", "여행 가고", "캠핑 가고", "책 읽고", "그림 그리고",
              "요리하고", "빵 굽고", "드라이브 가고", "자전거 타고", "등산하고", "피크닉 가고",
              "친구 만나고", "데이트하고", "맛집 가고", "카페 가고", "목욕하고", "마사지 받고",
              "푹 쉬고", "뒹굴뒹굴하고", "멍때리고", "일찍 자고"]
WISH_END = ["싶다", "싶어", "싶당", "싶다 ㅠㅠ", "싶다 ㅋㅋ", "싶어요", "싶네", "싶다 진짜", "싶다아",
            "싶음", "싶은데 돈이 없다", "싶은데 시간이 없네", "싶다 주말에", "싶다 오늘은"]
TRIP_TIMES = ["이번 주말에", "다음 주에", "시험 끝나면", "방학 때", "연휴에", "월급 들어오면", "휴가 때",
              "다음 달에", "겨울에", "여름휴가 때"]
TIMES = ["오늘", "내일", "이번 주말에", "다음 주에", "퇴근하고", "수업 끝나고", "시험 끝나면", "방학 때",
         "연휴에", "월급 들어오면", "점심에", "저녁에", "휴가 때", "내일 아침에"]
HYPER = [("배고파", "밥 언제 먹어"), ("졸려", "어제 세 시에 잠"), ("더워", "에어컨 틀어줘"),
         ("추워", "손 얼었어"), ("웃겨", "ㅋㅋㅋㅋ"), ("귀여워", "이 고양이 봐"), ("심심해", "놀아줘"),
         ("피곤해", "오늘 일 너무 많았어"), ("궁금해", "빨리 말해줘"), ("배불러", "너무 많이 먹었다"),
         ("목말라", "물 좀"), ("바빠", "회의만 네 개"), ("설레", "내일 여행"), ("떨려", "발표 5분 전"),
         ("부러워", "걔 또 여행 감"), ("졸려서", "수업 너무 지루해"), ("짜증나", "버스 또 놓침"),
         ("보고 싶어", "우리 강아지"), ("간지러워", "모기 물림"), ("힘들어", "계단 너무 많아")]
HYPER_END = ["죽겠다", "죽겠어", "죽겠네", "죽겠음", "죽는 줄", "죽을 것 같아", "미치겠다", "돌겠다",
             "죽을 뻔", "죽겠다 진짜"]
TAILS = ["", "", "", " ㅋㅋ", " ㅋㅋㅋ", " ㅎㅎ", " ㅠㅠ", " ㅜㅜ", " !!", " ~", " 😋", " 🥲", " 😂", " ✨", " 🙏"]


def wishes(rng: random.Random) -> list[str]:
    """Everyday '-고 싶다' wishes: eat/go/buy/do, with a time or a tail now and then."""
    out = []
    for food in FOODS:
        for end in rng.sample(WISH_END, 6):
            out.append(f"{food} 먹고 {end}")
        for end in ["땡긴다", "먹을 사람", "시킬까 말까", "맛집 알아?"]:
            out.append(f"{food} {end}")
    for place in PLACES:
        for end in rng.sample(WISH_END, 5):
            out.append(f"{place} 가고 {end}")
    for thing in THINGS:
        for end in rng.sample(WISH_END, 4):
            out.append(f"{thing} 사고 {end}")
    for act in ACTIVITIES:
        for time in rng.sample(TIMES, 5):
            out.append(f"{time} {act} {rng.choice(WISH_END)}")
    return out


def plans(rng: random.Random) -> list[str]:
    """Plans with a time: exactly the shape of a crisis 'plan' line, but about ordinary things."""
    out = []
    verbs = ["먹으러 갈 거야", "먹기로 했어", "시켜 먹을래", "먹으러 가자"]
    for food in FOODS:
        out.append(f"{rng.choice(TIMES)} {food} {rng.choice(verbs)}")
    for place in PLACES:
        out.append(f"{rng.choice(TRIP_TIMES)} {place} 가기로 했어")
        out.append(f"{rng.choice(TRIP_TIMES)} {place} 갈 사람")
    for thing in THINGS:
        out.append(f"{rng.choice(TIMES)} {thing} 살 거야")
    return out


def hyperbole(rng: random.Random) -> list[str]:
    """Die-of-X idioms ('배고파 죽겠다') with a little everyday context before or after."""
    out = []
    for adj, ctx in HYPER:
        for end in HYPER_END:
            out.append(f"{adj} {end} {ctx}" if rng.random() < 0.5 else f"{ctx} {adj} {end}")
    return out


def noisy(line: str, rng: random.Random) -> str:
    """Write it the way people type: sometimes without spaces, sometimes with a tail."""
    if rng.random() < 0.18:
        line = line.replace(" ", "")
    return line + rng.choice(TAILS)


def generate(count: int, existing: set[str], seed: int = 10) -> list[str]:
    """Return up to `count` unique generated lines that are not in `existing`."""
    rng = random.Random(seed)
    pool = wishes(rng) + plans(rng) + hyperbole(rng)
    rng.shuffle(pool)
    seen = set(existing)
    out = []
    for base in pool:
        line = noisy(base, rng).strip()
        if line and not line.startswith("#") and line not in seen:
            seen.add(line)
            out.append(line)
        if len(out) >= count:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1160)
    args = parser.parse_args()
    lines = TARGET.read_text(encoding="utf-8").split("\n")
    if MARKER in lines:
        lines = lines[: lines.index(MARKER)]
    hand = [x for x in lines if x.strip()]
    existing = {x for x in hand if not x.startswith("#")}
    gen = generate(args.count, existing)
    if len(gen) < args.count:
        raise SystemExit(f"only {len(gen)} unique lines; add words to the lists or lower --count")
    TARGET.write_text("\n".join(hand + [MARKER] + gen) + "\n", encoding="utf-8")
    total = len(existing) + len(gen)
    print(f"hand-written {len(existing)}, generated {len(gen)}, total {total}, generated share {len(gen) / total:.1%}")


if __name__ == "__main__":
    main()
