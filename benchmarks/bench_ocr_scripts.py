"""Which scripts does the shipped OCR engine read reliably? Per-script exact-match rate.

Run from the project root (needs Debian's ``fonts-noto-core`` and ``fonts-noto-cjk``, installed by
``scripts/install-system-deps``)::

    .venv/bin/python -m benchmarks.bench_ocr_scripts            # 10 strings x 3 renderings per script
    .venv/bin/python -m benchmarks.bench_ocr_scripts --json out.json

Each string (typical ad copy) is drawn with a real Noto font for its script (Pillow with raqm shaping) in three
renderings: 44 px dark on light, 72 px white on a dark brand colour, and a 2-line wrap at 56 px for the longer
strings that can break (where :func:`brandkit.linebreak.segments` allows, nearest the middle: between words, or
between characters for CJK with the kinsoku rules). The image is read by
:func:`brandkit.ocr.default_ocr_engine` (rapidocr, bundled PP-OCR models), and the reading is compared with what
was drawn in two ways:

* ``exact``: NFKC, case-folded, whitespace and punctuation removed, equal;
* ``check``: :func:`brandkit.checks.text.match_string` finds the string (the text check's own pass rule).

The table in ``docs/checks.md`` ("Scripts the OCR reads") is this command's output; the scripts whose ``check``
rate is at least 90 % are the ones listed in :data:`brandkit.ocr.OCR_READABLE_SCRIPTS`.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from brandkit.checks.text import match_string
from brandkit.linebreak import segments
from brandkit.ocr import default_ocr_engine

NOTO = Path("/usr/share/fonts")
FONTS = {
    "Latin": ("truetype/noto/NotoSans-Regular.ttf", None),
    "Cyrillic": ("truetype/noto/NotoSans-Regular.ttf", None),
    "Greek": ("truetype/noto/NotoSans-Regular.ttf", None),
    "Chinese (Simplified)": ("opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    "Chinese (Traditional)": ("opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK TC"),
    "Japanese kana": ("opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK JP"),
    "Japanese (kanji + kana)": ("opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK JP"),
    "Korean": ("opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK KR"),
    "Arabic": ("truetype/noto/NotoSansArabic-Regular.ttf", None),
    "Devanagari": ("truetype/noto/NotoSansDevanagari-Regular.ttf", None),
}

STRINGS = {
    "Latin": [
        "Café crème brûlée",
        "Große Straße",
        "Açaí para você",
        "Niño en la montaña",
        "Smörgåsbord i Göteborg",
        "Zażółć gęślą jaźń",
        "Crème de la crème",
        "Fête des pères",
        "Übermorgen geöffnet",
        "Señorita Müller",
    ],
    "Cyrillic": [
        "Доброе утро",
        "Свежий кофе каждый день",
        "Скидка на всё",
        "Привет, мир",
        "Зимняя распродажа",
        "Хлеб и молоко",
        "Новая коллекция",
        "Щедрый подарок",
        "Мы открыты",
        "Сделано с любовью",
    ],
    "Greek": [
        "Καλημέρα",
        "Φρέσκος καφές κάθε μέρα",
        "Νέα συλλογή",
        "Ζεστό ψωμί",
        "Εκπτώσεις χειμώνα",
        "Καλώς ήρθατε",
        "Ώρα για καφέ",
        "Γεια σου κόσμε",
        "Δωρεάν αποστολή",
        "Ψάρι και λαχανικά",
    ],
    "Chinese (Simplified)": [
        "新鲜咖啡每天供应",
        "冬季大促销",
        "欢迎光临",
        "全场八折优惠",
        "今天就来试试吧",
        "品质生活从这里开始",
        "免费送货上门",
        "限时特价",
        "早安咖啡",
        "新品上市",
    ],
    "Chinese (Traditional)": [
        "新鮮咖啡每天供應",
        "冬季大促銷",
        "歡迎光臨",
        "全場八折優惠",
        "今天就來試試吧",
        "品質生活從這裡開始",
        "免費送貨上門",
        "限時特價",
        "早安咖啡",
        "新品上市",
    ],
    "Japanese (kanji + kana)": [
        "新しいコーヒー豆",
        "冬の大セール",
        "本日限定の特別価格",
        "送料無料でお届け",
        "焼きたてのパン",
        "季節のおすすめ",
        "毎朝の一杯を大切に",
        "今すぐ注文",
        "新商品のご案内",
        "心を込めて焙煎",
    ],
    "Japanese kana": [
        "おはようございます",
        "コーヒーをどうぞ",
        "ありがとう",
        "いらっしゃいませ",
        "きょうのおすすめ",
        "カフェラテ",
        "パンとミルク",
        "たのしいじかん",
        "ようこそ",
        "セールはじまる",
    ],
    "Korean": [
        "안녕하세요",
        "신선한 커피",
        "겨울 세일",
        "무료 배송",
        "오늘의 추천",
        "새로운 컬렉션",
        "환영합니다",
        "맛있는 빵",
        "특별 할인",
        "지금 바로 구매",
    ],
    "Arabic": [
        "مرحبا بكم",
        "قهوة طازجة كل يوم",
        "تخفيضات الشتاء",
        "شحن مجاني",
        "مجموعة جديدة",
        "أهلا وسهلا",
        "خبز طازج",
        "عرض خاص",
        "اشتر الآن",
        "صنع بحب",
    ],
    "Devanagari": [
        "नमस्ते",
        "ताज़ा कॉफ़ी हर दिन",
        "सर्दियों की सेल",
        "मुफ़्त डिलीवरी",
        "नया संग्रह",
        "स्वागत है",
        "विशेष छूट",
        "अभी खरीदें",
        "प्यार से बनाया",
        "सुप्रभात",
    ],
}

RENDERINGS = (
    ("44px dark/light", 44, (20, 20, 20), (250, 248, 240)),
    ("72px light/dark", 72, (255, 255, 255), (26, 54, 93)),
)


def font_for(script: str, size: int) -> ImageFont.FreeTypeFont:
    """The Noto font of ``script`` at ``size`` (the right face of a collection)."""
    rel, face = FONTS[script]
    path = NOTO / rel
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run scripts/install-system-deps (fonts-noto-core, fonts-noto-cjk)")
    for index in range(8):
        font = ImageFont.truetype(str(path), size, index=index)
        if face is None or font.getname()[0] == face:
            return font
    raise SystemExit(f"no face {face!r} in {path}")


def _squash(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def render(
    lines: list[str], font: ImageFont.FreeTypeFont, fg: tuple[int, int, int], bg: tuple[int, int, int]
) -> Image.Image:
    """``lines`` drawn left-aligned (raqm shaping, direction from the text) with a margin."""
    size = int(font.size)
    width = max(int(font.getlength(line)) for line in lines) + 2 * size
    height = int(len(lines) * size * 1.5) + 2 * size
    image = Image.new("RGB", (max(width, 256), height), bg)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size, size + int(i * size * 1.5)), line, font=font, fill=fg)
    return image


def _halves(text: str) -> list[str]:
    """``text`` in two lines, broken at the break opportunity nearest the middle (brandkit's line breaker)."""
    pieces = segments(text)
    best = min(range(1, len(pieces)), key=lambda i: abs(sum(len(p) for p, _ in pieces[:i]) - len(text) / 2))
    return [_join(pieces[:best]), _join(pieces[best:])]


def _join(pieces: list[tuple[str, bool]]) -> str:
    return "".join((" " if spaced and i else "") + piece for i, (piece, spaced) in enumerate(pieces))


def measure() -> dict[str, dict[str, object]]:
    """Per script: cases, exact and check-found counts, and the misreadings."""
    engine = default_ocr_engine()
    if not engine.available:
        raise SystemExit(f"OCR unavailable: {engine.unavailable_reason}")
    out: dict[str, dict[str, object]] = {}
    for script, strings in STRINGS.items():
        cases = exact = found = 0
        misses: list[dict[str, str]] = []
        for text in strings:
            renderings: list[tuple[str, list[str], int, tuple[int, int, int], tuple[int, int, int]]] = [
                (name, [text], size, fg, bg) for name, size, fg, bg in RENDERINGS
            ]
            if len(text) >= 8 and len(segments(text)) >= 2:
                renderings.append(("56px 2 lines", _halves(text), 56, (20, 20, 20), (250, 248, 240)))
            for name, lines, size, fg, bg in renderings:
                image = render(lines, font_for(script, size), fg, bg)
                read = engine.read(image)
                text_read = " ".join(line.text for line in read)
                cases += 1
                ok_exact = _squash(text_read) == _squash(text)
                ok_check = match_string("headline", text, read).found
                exact += ok_exact
                found += ok_check
                if not ok_check:
                    misses.append({"expected": text, "read": text_read, "rendering": name})
        out[script] = {"cases": cases, "exact": exact, "check": found, "misses": misses}
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the per-script table (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures and every misreading here")
    parser.add_argument("--misses", action="store_true", help="print every misreading")
    args = parser.parse_args(argv)
    results = measure()
    print("| script | cases | exact match | text check finds it |")
    print("|---|---:|---:|---:|")
    for script, row in results.items():
        cases = int(str(row["cases"]))
        print(f"| {script} | {cases} | {int(str(row['exact'])) / cases:.0%} | {int(str(row['check'])) / cases:.0%} |")
    if args.misses:
        for script, row in results.items():
            for miss in row["misses"]:  # type: ignore[attr-defined]
                print(f"{script}: expected {miss['expected']!r} read {miss['read']!r} ({miss['rendering']})")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
