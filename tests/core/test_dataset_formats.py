"""Importers: every format Buddy reads, and the broken files a user will hand it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.dataset.formats import data_hash, deduplicate, load_dataset, load_datasets
from core.dataset.records import Dataset, Example
from core.errors import DataFormatError

# Made-up rows in the wellness layout (never rows of the real file).
WELLNESS_ROWS = [
    ("감정/우울감", "요즘 아무것도 하기 싫어요.", "많이 지치셨나 봐요."),
    ("감정/우울감", "하루 종일 기운이 없어.", ""),
    ("증상/불면", "밤에 잠이 안 와요.", "잠들기 전 휴대폰을 멀리 두어 보세요."),
    ("증상/불면", "", "따뜻한 물 한 잔도 도움이 돼요."),
    ("증상/불면", "새벽까지 뒤척여.", ""),
]


def wellness_csv(path: Path, encoding: str = "utf-8-sig", rows=WELLNESS_ROWS) -> Path:
    """Write the AI Hub layout: BOM, CRLF, a trailing empty column."""
    lines = ["구분,유저,챗봇,"] + [f"{c},{u},{a}," for c, u, a in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_wellness_csv_with_bom_crlf_and_answer_only_rows(tmp_path: Path) -> None:
    ds = load_dataset(wellness_csv(tmp_path / "w.csv"))
    assert [(e.category, e.text) for e in ds.examples] == [
        ("감정/우울감", "요즘 아무것도 하기 싫어요."),
        ("감정/우울감", "하루 종일 기운이 없어."),
        ("증상/불면", "밤에 잠이 안 와요."),
        ("증상/불면", "새벽까지 뒤척여."),
    ]
    assert ds.answers["증상/불면"] == ["잠들기 전 휴대폰을 멀리 두어 보세요.", "따뜻한 물 한 잔도 도움이 돼요."]
    assert ds.examples[0].source == "w.csv:2"


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr"])
def test_korean_legacy_encodings(tmp_path: Path, encoding: str) -> None:
    ds = load_dataset(wellness_csv(tmp_path / "w.csv", encoding=encoding))
    assert ds.categories == ["감정/우울감", "증상/불면"]
    assert ds.examples[2].text == "밤에 잠이 안 와요."


def test_xlsx_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["구분", "유저", "챗봇", None])
    for c, u, a in WELLNESS_ROWS:
        ws.append([c, u or None, a or None, None])
    wb.save(tmp_path / "w.xlsx")
    ds = load_dataset(tmp_path / "w.xlsx")
    assert len(ds.examples) == 4
    assert ds.answers["감정/우울감"] == ["많이 지치셨나 봐요."]


def test_csv_missing_columns_names_line_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("카테고리,문장\n감정/우울감,우울해\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        load_dataset(path)
    assert err.value.line == 1 and "구분" in err.value.problem


def test_csv_empty_category_names_the_line(tmp_path: Path) -> None:
    rows = [*WELLNESS_ROWS[:2], ("", "카테고리가 없어요", "")]
    with pytest.raises(DataFormatError) as err:
        load_dataset(wellness_csv(tmp_path / "w.csv", rows=rows))
    assert err.value.line == 4
    assert "w.csv:4" in str(err.value)


def test_truncated_csv_with_an_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text('구분,유저,챗봇\n감정/우울감,요즘 우울해,\n감정/우울감,"잘리다 만 문장\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"cut\.csv:3"):
        load_dataset(path)


def test_invalid_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"text": "안녕", "category": "일반대화"}, ensure_ascii=False).encode()
    path.write_bytes(good + b"\n" + b'{"text": "\xff\xfe", "category": "x"}\n')
    with pytest.raises(DataFormatError) as err:
        load_dataset(path)
    assert err.value.line == 2 and "UTF-8" in err.value.problem


def test_csv_neither_utf8_nor_cp949(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("구분,유저,챗봇\r\n".encode() + b"a,\xff\xff\xff,\r\n")
    with pytest.raises(DataFormatError) as err:
        load_dataset(path)
    assert err.value.line == 2


def test_truncated_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"category": "증상/불면", "utterances": ["잠이 안 와"], "answers": []}\n'
        '{"category": "감정/우울감", "utterances": ["우울해\n', encoding="utf-8"
    )
    with pytest.raises(DataFormatError) as err:
        load_dataset(path)
    assert err.value.line == 2 and str(path) in str(err.value)


def test_file_without_examples_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("구분,유저,챗봇\n증상/불면,,잠을 자 봐요\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no utterances"):
        load_dataset(path)


def test_jsonl_folder_records_and_corrections(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"text": "잠이 너무 안 와", "category": "증상/불면", "reviewer": "x"},
                   ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"category": "감정/우울감", "utterances": ["우울해", "  "],
                    "answers": ["곁에 있을게요."]}, ensure_ascii=False) + "\n\n",
        encoding="utf-8")
    ds = load_dataset(tmp_path)
    assert [(e.text, e.category) for e in ds.examples] == [
        ("우울해", "감정/우울감"), ("잠이 너무 안 와", "증상/불면")]
    assert ds.answers == {"감정/우울감": ["곁에 있을게요."]}


def test_jsonl_empty_category(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"category": " ", "utterances": ["우울해"]}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="category") as err:
        load_dataset(path)
    assert err.value.line == 1


@pytest.mark.parametrize("sep", ["\t", "    "])
def test_seed_text_files(tmp_path: Path, sep: str) -> None:
    (tmp_path / "wellness_dialog_category.txt").write_text(
        f"감정/우울감{sep}0\n증상/불면{sep}1\n", encoding="utf-8")
    (tmp_path / "wellness_dialog_question.txt").write_text(
        f"감정/우울감{sep}우울해요\n증상/불면{sep}잠이 안 와요\n", encoding="utf-8")
    (tmp_path / "wellness_dialog_answer.txt").write_text(
        f"증상/불면{sep}푹 주무시길 바라요.\n", encoding="utf-8")
    (tmp_path / "wellness_dialog_for_text_classification.txt").write_text(
        f"우울해요{sep}0\n잠이 안 와요{sep}1\n", encoding="utf-8")
    ds = load_dataset(tmp_path)
    # the classification file repeats the questions: not counted twice
    assert [(e.text, e.category) for e in ds.examples] == [
        ("우울해요", "감정/우울감"), ("잠이 안 와요", "증상/불면")]
    assert ds.answers == {"증상/불면": ["푹 주무시길 바라요."]}
    alone = load_dataset(tmp_path / "wellness_dialog_for_text_classification.txt")
    assert [e.category for e in alone.examples] == ["감정/우울감", "증상/불면"]


def test_seed_classification_index_unknown(tmp_path: Path) -> None:
    (tmp_path / "wellness_dialog_category.txt").write_text("감정/우울감\t0\n", encoding="utf-8")
    path = tmp_path / "wellness_dialog_for_text_classification.txt"
    path.write_text("우울해요\t0\n잠이 안 와요\t7\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        load_dataset(path)
    assert err.value.line == 2


def test_dedup_and_conflicts() -> None:
    ds = Dataset([Example("우울해", "a"), Example("우울해", "a"), Example("우울해", "b")])
    out, report = deduplicate(ds)
    assert len(out.examples) == 2 and report.dropped == 1
    assert report.conflicts == {"우울해": ["a", "b"]}


def test_data_hash_follows_content(tmp_path: Path) -> None:
    path = wellness_csv(tmp_path / "w.csv")
    first = data_hash([path])
    assert first == data_hash([tmp_path])  # the folder holds just this file
    path.write_bytes(path.read_bytes() + "감정/우울감,또 우울해,\r\n".encode())
    assert data_hash([path]) != first


def test_several_paths_merge(tmp_path: Path) -> None:
    a = wellness_csv(tmp_path / "w.csv")
    b = tmp_path / "fix.jsonl"
    b.write_text('{"text": "새벽까지 뒤척여.", "category": "감정/우울감"}\n', encoding="utf-8")
    assert len(load_datasets([a, b]).examples) == 5


WELLNESS = Path(__file__).resolve().parents[3] / "shared" / "data" / "wellness_dataset_original.csv"


@pytest.mark.skipif(not WELLNESS.is_file(), reason="AI Hub wellness CSV not at ../shared/data")
def test_real_wellness_csv_imports_completely() -> None:
    ds = load_dataset(WELLNESS)
    assert len(ds.examples) == 5231 and len(ds.categories) == 359
    assert len(ds.answers) == 355  # four categories come without an answer of their own
    assert "증상/불면" in ds.categories
