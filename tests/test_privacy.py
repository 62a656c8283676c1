"""The one scrubber, the field declarations and the canaries.

Table-driven: every kind of personal data in several usual forms must disappear, ordinary report text
must stay as it is; every free-text column of every canonical table must be declared; canaries planted
in every free-text field of every source never reach an evaluation, its JSON or the panel.
"""

from __future__ import annotations

import io
import json
import string

import pandas as pd
import pytest

from wijklib import disclosure, schemas
from wijklib.monitor import privacy

# (kind, text, secrets that must be gone)
CASES = [
    ("telefoon", "Bel 06-12345678 na zessen", ["12345678"]),
    ("telefoon", "tel: 06 1234 5678", ["1234 5678"]),
    ("telefoon", "mobiel +31 6 12345678.", ["12345678"]),
    ("telefoon", "via +31(0)6-87654321", ["87654321"]),
    ("telefoon", "0031 6 11223344 bellen", ["11223344"]),
    ("telefoon", "vaste lijn 010-1234567", ["1234567"]),
    ("telefoon", "bel (010) 123 45 67 of", ["123 45 67"]),
    ("telefoon", "nummer 0612345678!", ["0612345678"]),
    ("telefoon", "of 0800-1234 gratis", ["0800-1234"]),
    ("email", "mail piet.jansen@example.nl graag", ["piet.jansen", "example.nl"]),
    ("email", "contact: J_de-Vries+wijk@gemeente.rotterdam.nl", ["J_de-Vries", "gemeente.rotterdam"]),
    ("email", "stuur naar info (at) buurt.nl", ["buurt.nl"]),
    ("postcode", "overlast bij 3072 AB 14", ["3072 AB", "AB 14"]),
    ("postcode", "adres 3011AB, 2a", ["3011AB"]),
    ("postcode", "rond 3025 KN 101-3", ["3025 KN"]),
    ("adres", "afval bij Dorpsweg 12a al weken", ["Dorpsweg 12"]),
    ("adres", "hoek Groene Hilledijk 300 en", ["Hilledijk 300"]),
    ("adres", "voor Blaak 16 staat", ["Blaak 16"]),
    ("adres", "Oude Binnenweg 113-B", ["Binnenweg 113"]),
    ("adres", "in de 1e Middellandstraat 12b", ["Middellandstraat 12"]),
    ("adres", "wonend kerkstraat 4", ["kerkstraat 4"]),
    ("bsn", "BSN 111222333 van melder", ["111222333"]),
    ("bsn", "bsn: 123456782", ["123456782"]),
    ("bsn", "sofi 111.222.333", ["111.222.333"]),
    ("iban", "IBAN NL91ABNA0417164300", ["0417164300", "NL91"]),
    ("iban", "rekening NL91 ABNA 0417 1643 00", ["0417 1643", "NL91"]),
    ("iban", "naar nl20rabo0123456789", ["0123456789"]),
    *[("kenteken", f"auto met kenteken {plate} stond", [plate]) for plate in
      ["AB-12-34", "12-34-AB", "12-AB-34", "AB-12-CD", "AB-CD-12", "12-AB-CD", "12-ABC-3", "1-ABC-23",
       "AB-123-C", "A-123-BC", "ABC-12-D", "A-12-BCD", "1-AB-234", "123-AB-4", "12-abc-3", "GF 123 K"]],
    ("naam", "gemeld door Piet Jansen gisteren", ["Piet", "Jansen"]),
    ("naam", "Gemeld door mevrouw El Amrani.", ["Amrani"]),
    ("naam", "meneer Jansen klaagt", ["Jansen"]),
    ("naam", "volgens mevrouw de Vries", ["Vries"]),
    ("naam", "mw. Bakker belde", ["Bakker"]),
    ("naam", "dhr. P. Bakker-Smit", ["Bakker", "Smit"]),
    ("naam", "J. de Vries zag het", ["Vries"]),
    ("naam", "melding van J.P. van der Berg", ["Berg"]),
    ("naam", "familie El Amrani", ["Amrani"]),
    ("naam", "buurvrouw Fatima zegt", ["Fatima"]),
    ("naam", "namens A.B. Yilmaz", ["Yilmaz"]),
    ("geboortedatum", "geboren 12-03-1980", ["1980"]),
]

KEEP = [
    "Veel zwerfvuil sinds 2024, 3 keer per week",
    "Op 12-03-2025 was er overlast",
    "In 2025 vaker handhavers (12 keer)",
    "Bewoners vragen naar de resultaten van de schouw.",
    "% voelt zich weleens onveilig in de eigen buurt",
    "Diefstal uit/vanaf motorvoertuigen",
    "Wijkhub-inloop: vragen over wie waarvoor belt.",
    "Niveau 3: netwerkscore 82 van 100",
    "meldingen afval",
    "overtredingen fietsen",
    "Handhavers zijn vaker te zien en goed aanspreekbaar.",
]


@pytest.mark.parametrize(("kind", "text", "secrets"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_scrub_removes_each_kind(kind, text, secrets):
    out = privacy.scrub(text)
    for secret in secrets:
        assert secret not in out, f"{kind}: {secret!r} left in {out!r}"
    assert privacy.REDACTED in out
    assert disclosure.scrub(text) == out  # one scrubber
    assert privacy.scrub(out) == out  # idempotent


def test_at_least_three_variants_per_kind():
    kinds = pd.Series([c[0] for c in CASES]).value_counts()
    for kind in ("telefoon", "email", "postcode", "adres", "bsn", "iban", "kenteken", "naam"):
        assert kinds.get(kind, 0) >= 3, kind


@pytest.mark.parametrize("text", KEEP)
def test_scrub_keeps_ordinary_text(text):
    assert privacy.scrub(text) == text


def test_bsn_needs_the_elfproef_to_be_called_bsn():
    assert privacy.elfproef("111222333") and privacy.elfproef("123456782")
    assert not privacy.elfproef("123456789")
    assert "111222333" not in privacy.scrub("BSN 111222333")
    # A 9-digit number that is no BSN is still a long digit run: removed all the same.
    assert "123456789" not in privacy.scrub("code 123456789")


def test_every_free_text_column_of_every_source_is_declared():
    """A text column without a fixed vocabulary or pattern in the loaders' schema must be declared in
    privacy.FIELDS (so it is scrubbed, vocabulary-checked, or kept out of everything published)."""
    undeclared = []
    for source, schema in schemas.SCHEMAS.items():
        for col, c in schema.columns.items():
            if "str" in str(c.dtype).lower() and not c.checks and col not in privacy.FIELDS.get(source, {}):
                undeclared.append(f"{source}.{col}")
    assert undeclared == []


def test_categorical_fields_show_unknown_values_as_overig():
    assert privacy.category("Afval ", "handhaving", "thema") == "afval"
    assert privacy.category("Jeugd", "signalen", "thema") == "jeugd"
    assert privacy.category("<script>x</script>", "signalen", "thema") == "overig"
    assert privacy.category("bel Jan 0612345678", "netwerk_samenwerking", "vorm") == "overig"
    assert privacy.category("Schouw", "netwerk_samenwerking", "vorm") == "schouw"


def _bsn(i: int) -> str:
    base = f"{10000000 + i * 7919:08d}"[-8:]
    for last in range(10):
        if privacy.elfproef(base + str(last)):
            return base + str(last)
    return _bsn(i + 1)


def canary(i: int) -> tuple[str, list[str]]:
    """A text holding one item of every kind of personal data, all unique to field ``i``."""
    tag = string.ascii_lowercase[i % 26] + string.ascii_lowercase[i // 26]
    bsn = _bsn(i)
    plate = f"{i % 90 + 10}-KN{string.ascii_uppercase[i % 26]}-{i % 9 + 1}"
    text = (f"Kanarie: bel 06-48{i:02d}9371 of +31 6 27{i:02d}5519, mail kanarie.{tag}@voorbeeld.nl, "
            f"Kanarie{tag}straat {i + 1}b, 30{i % 90 + 10} KN {i + 2}, BSN {bsn}, IBAN NL91RABO01{i:02d}345678, "
            f"kenteken {plate}, gemeld door Kees Kanarie{tag}, mevrouw Vinkel{tag}, J. de Merel{tag}.")
    secrets = [f"48{i:02d}9371", f"27{i:02d}5519", f"kanarie.{tag}@", f"Kanarie{tag}", f"30{i % 90 + 10} KN", bsn,
               f"RABO01{i:02d}345678", plate, f"Vinkel{tag}", f"Merel{tag}"]
    return text, secrets


def free_text_fields(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """Every declared text field present in ``tables`` (ids included: they must not leak either)."""
    return [(s, c) for s, cols in privacy.FIELDS.items() for c in cols if s in tables and c in tables[s].columns]


def plant(tables: dict[str, pd.DataFrame], wards: list[str],
          skip: set[tuple[str, str]] = frozenset()) -> dict[str, list[str]]:
    """Append a canary to every free-text field but ``skip`` (of the rows of ``wards`` where a table has
    wards, every third row elsewhere); returns the secrets per field."""
    planted = {}
    for i, (source, col) in enumerate(free_text_fields(tables)):
        if (source, col) in skip:
            continue
        df = tables[source]
        text, secrets = canary(i)
        rows = df["wijkraad_id"].isin(wards) if "wijkraad_id" in df.columns else (pd.RangeIndex(len(df)) % 3 == 0)
        rows = pd.Series(rows, index=df.index)
        df[col] = df[col].astype(object)
        df.loc[rows, col] = df.loc[rows, col].astype(str) + " " + text
        if source == "signalen":
            df.loc[rows, "publiceerbaar"] = True  # publishable text is shown: scrubbed, never verbatim
        planted[f"{source}.{col}"] = secrets
    return planted


def leaks(blob: str, planted: dict[str, list[str]]) -> list[str]:
    return [f"{field}: {s}" for field, secrets in planted.items() for s in secrets if s in blob]


def test_canaries_never_reach_evaluations_json_or_panel(tmp_path):
    """Monitor level (fast): canaries in every free-text field of every source; two wards evaluated; the
    evaluations, their JSON and the processed panel hold none of them."""
    import warnings

    from wijklib import monitor
    from wijklib.demo import simulate

    warnings.simplefilter("ignore")
    tables = {k: v.copy() for k, v in simulate(scale=0.02).tables.items()}
    wards = ["tarwewijk", "bloemhof"]
    planted = plant(tables, wards)
    assert len(planted) >= 15
    ctx = monitor.Context(tables, config="config/monitor.yaml", outcomes=["afval"])
    blobs = []
    for w in wards:
        ev = monitor.evaluate_ward(w, 2025, context=ctx, previous=False)
        blobs.append(ev.to_json(tmp_path / f"{w}.json").read_text(encoding="utf-8"))
        for part in ("quotes", "signals", "enforcement", "partners", "priorities", "survey", "rising"):
            blobs.append(ev.to_frame(part).to_csv())
        blobs.append(json.dumps(ev.headline(), ensure_ascii=False))
        blobs.append("\n".join(ev.sentences()))
    buf = io.BytesIO()
    ctx.panel.to_pickle(buf)
    blobs.append(buf.getvalue().decode("latin-1"))
    assert leaks("\n".join(blobs), planted) == []
    quotes = pd.concat([monitor.evaluate_ward(w, 2025, context=ctx, previous=False).to_frame("quotes") for w in wards])
    assert quotes["tekst"].str.contains(r"\[verwijderd\]", regex=True).any()  # the quotes are there, scrubbed
    assert set(ctx.tables["handhaving"]["thema"]) <= privacy.VOCABULARIES[("handhaving", "thema")]
