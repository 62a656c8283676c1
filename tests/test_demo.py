"""The synthetic demo city: determinism, raw layouts, built-in truth (app switch, roll-out, traps)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from wijklib import demo
from wijklib.config import DEMO_RAW_DIR, DEMO_SEED
from wijklib.demo.__main__ import main as demo_main

SEED, SCALE = 11, 0.05


@pytest.fixture(scope="module")
def city():
    return demo.simulate(seed=SEED, scale=SCALE)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_a")
    c = demo.generate(out, seed=SEED, scale=SCALE)
    return out, c


def _xlsx_head(path, n_rows):
    """First rows of every sheet (openpyxl read-only streams, so this stays fast)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [[None if v is None else str(v) for v in r] for r in ws.iter_rows(max_row=n_rows, values_only=True)]
        out[ws.title] = pd.DataFrame(rows[1:], columns=rows[0])
    wb.close()
    return out


def _digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cli_rerun_with_same_seed_gives_identical_bytes(written, tmp_path, capsys):
    """`python -m wijklib.demo` (as the Makefile calls it) reproduces the files byte for byte."""
    out_a, _ = written
    assert demo_main(["--out", str(tmp_path), "--seed", str(SEED), "--scale", str(SCALE)]) == 0
    assert "wrote the synthetic demo city" in capsys.readouterr().out
    a, b = _digests(out_a), _digests(tmp_path)
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n]] == []


def test_other_seed_gives_other_city(city):
    other = demo.simulate(seed=SEED + 1, scale=SCALE)
    assert not city.meldingen_counts["n"].equals(other.meldingen_counts["n"])


def test_event_tables_expand_the_true_counts_exactly(city):
    m = city.tables["meldingen"]
    assert len(m) == int(city.meldingen_counts["n"].sum())
    true_buurt = city.meta["meldingen_true_buurt"]
    assert (m["buurt_code"].isna() | (m["buurt_code"] == true_buurt)).all()
    only_xy = m["buurt_code"].isna()
    assert 0.005 < only_xy.mean() < 0.05 and m.loc[only_xy, ["x", "y"]].notna().all().all()
    got = (m.assign(period=m["ontvangen"].dt.to_period("M").dt.start_time, buurt_code=true_buurt)
           .groupby(["buurt_code", "period", "categorie"]).size())
    truth = city.meldingen_counts.set_index(["buurt_code", "period", "categorie"])["n"]
    got = got.reindex(truth.index, fill_value=0)
    assert (got.to_numpy() == truth.to_numpy()).all()
    assert m["melding_id"].is_unique
    assert set(m["categorie"]) == set(demo.CATEGORIES)


def test_geography_is_the_real_ward_list(city):
    from wijklib import geo

    assert set(city.tables["interventie"]["wijkraad_id"]) == set(geo.units("wijkraad")["wijkraad_id"])
    assert set(city.meldingen_counts["buurt_code"]) == set(geo.hierarchy()["buurt_code"])
    months = pd.date_range("2017-01-01", "2025-12-01", freq="MS")
    assert list(np.sort(city.meldingen_counts["period"].unique())) == list(months.to_numpy())


def test_app_switch_is_visible_and_raises_counts(city, big_city):
    m = city.tables["meldingen"]
    post = m["ontvangen"] >= pd.Timestamp(demo.APP_SWITCH)
    assert set(m.loc[~post, "kanaal"]) == {"14010", "BuitenBeter", "web"}
    assert set(m.loc[post, "kanaal"]) == {"14010", "MeldR", "web"}
    # Categories without a COVID shock, in never-treated wards: 2020 over 2019 reflects the app
    # (x1.25-1.30) plus about one year of trend, not a change in nuisance.
    never = set(big_city.truth["treatment"]["never_treated"])
    wr = big_city.geography.set_index("buurt_code")["wijkraad_id"]
    c = big_city.meldingen_counts
    c = c[c["buurt_code"].map(wr).isin(never) & c["categorie"].isin(["afval", "zwerfvuil", "verwaarlozing"])]
    y = c["period"].dt.year
    ratio = c.loc[y == 2020, "n"].sum() / c.loc[y == 2019, "n"].sum()
    assert 1.2 < ratio < 1.5, ratio


def test_rollout_design(city):
    tr = city.truth["treatment"]
    starts = pd.Series(tr["start_month"])
    sizes = starts.value_counts()
    assert dict(sizes) == {label: k for label, k in demo.COHORTS}
    assert (sizes == 1).any(), "one cohort must hold a single wijkraad"
    assert len(tr["never_treated"]) >= 10
    iv = city.tables["interventie"].set_index("wijkraad_id")
    assert iv.loc[tr["never_treated"], "start"].isna().all()
    for w, m in tr["start_month"].items():
        assert iv.at[w, "start"] == pd.Timestamp(f"{m}-01")
        assert iv.at[w, "uren_per_week"] > 0


def test_selection_trap_selected_wards_had_a_positive_transient_shock(city):
    sel = city.truth["selection"]
    gap = [s["mean_transient_shock_6m_before_selected"] - s["mean_transient_shock_6m_before_others"]
           for s in sel]
    assert np.mean(gap) > 0.02, gap


@pytest.fixture(scope="module")
def big_city():
    # Full scale: the effects are only distinguishable from noise with realistic counts.
    return demo.simulate(seed=SEED, scale=1.0)


def _stacked_did_ratio(city, cats, window=18):
    """Treated/never-treated ratio of post/pre report counts, stacked over cohorts."""
    tr = city.truth["treatment"]
    wr = city.geography.set_index("buurt_code")["wijkraad_id"]
    c = city.meldingen_counts[city.meldingen_counts["categorie"].isin(cats)]
    c = c.assign(wr=c["buurt_code"].map(wr))
    sums = np.zeros((2, 2))
    for label, _ in demo.COHORTS:
        t0 = pd.Timestamp(f"{label}-01")
        cohort = [w for w, m in tr["start_month"].items() if m == label]
        d = c[c["wr"].isin(cohort + tr["never_treated"])
              & c["period"].between(t0 - pd.DateOffset(months=window), t0 + pd.DateOffset(months=window - 1))]
        s = d.groupby([d["wr"].isin(cohort), d["period"] >= t0])["n"].sum()
        for i, treated in enumerate((False, True)):
            for j, post in enumerate((False, True)):
                sums[i, j] += s.get((treated, post), 0)
    return (sums[1, 1] / sums[1, 0]) / (sums[0, 1] / sums[0, 0])


def test_treatment_lowers_targeted_categories_only(big_city):
    targeted = _stacked_did_ratio(big_city, ["jeugd", "overlast"])
    untargeted = _stacked_did_ratio(big_city, ["grofvuil", "fietswrakken", "verwaarlozing"])
    assert targeted < 0.9, targeted  # true 0.80 (plus some regression to the mean)
    assert 0.88 < untargeted < 1.12, untargeted  # true 1.00


def test_counts_are_overdispersed(big_city):
    c = big_city.meldingen_counts
    c = c[c["categorie"] == "verwaarlozing"]  # flat season, no trend, no treatment effect
    s = c.groupby("buurt_code")["n"].agg(["mean", "var"])
    s = s[s["mean"] > 0.5]
    assert (s["var"] / s["mean"]).median() > 1.1


def test_followup_compliance_and_open_reports(city):
    m = city.tables["meldingen"]
    open_ = m["status"] == "open"
    assert m.loc[open_, "afgehandeld"].isna().all()
    assert m.loc[~open_, "afgehandeld"].notna().all()
    assert (m.loc[~open_, "afgehandeld"] >= m.loc[~open_, "ontvangen"]).all()
    h = city.tables["handhaving"]
    assert h["datum"].min() >= pd.Timestamp("2018-01-01")
    assert h["datum"].max() <= pd.Timestamp("2025-12-31")
    ctrl = h[h["actie"] == "controle"]
    share = 1 - ctrl["overtreding"].mean()
    assert 0.6 < share < 0.85
    assert h.loc[h["actie"] != "controle", "overtreding"].all()


def test_personal_data_is_planted_only_where_expected(city):
    m = city.tables["meldingen"]
    pii = re.compile("|".join(re.escape(x) for x in demo._city.FAKE_PHONES))
    share = m["omschrijving"].str.contains(pii).mean()
    assert 0.005 < share < 0.08
    s = city.tables["signalen"]
    names = re.compile("|".join(re.escape(x) for x in demo._city.FAKE_NAMES))
    assert not s.loc[s["publiceerbaar"], "tekst"].str.contains(names).any()
    assert s.loc[~s["publiceerbaar"], "tekst"].str.contains(names).all()


def test_raw_layouts(written):
    out, c = written
    # Public-space reports in the real platform layouts: MSB until the platform migration, MOR after.
    mor = pd.read_csv(out / "mor" / "production-dwh_meldingen_melding.csv", dtype=str, nrows=5)
    assert {"id", "origineel_aangemaakt", "afgesloten_op", "status_id", "referentie_locatie_id"} <= set(mor.columns)
    assert mor["origineel_aangemaakt"].str.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\+0[12]").all()
    cats = pd.read_csv(out / "mor" / "production-dwh_categories_category.csv", dtype=str)
    assert len(cats) >= 53 and {"Grofvuil", "Zwerfafval", "Voertuigwrak"} <= set(cats["name"])
    msb = pd.read_csv(next((out / "msb").glob("msb_meldingen_*.csv")), sep=";", dtype=str, nrows=50)
    assert {"mldId", "datumMelding", "locatie.buurtNummer", "locatie.x", "herkomstCode"} <= set(msb.columns)
    # Nuisance reports (no MOR subject) stay in the invented municipal CSV layout.
    head = (out / "meldingen_14010_2019.csv").read_bytes().split(b"\r\n")
    assert head[0].decode("cp1252") == (
        "Meldingnummer;Datum melding;Datum afhandeling;Kanaal;Hoofdcategorie;Subcategorie;"
        "Buurtcode;X-coördinaat;Y-coördinaat;Status;Omschrijving")
    row = head[1].decode("cp1252").split(";")
    assert re.fullmatch(r"\d\d-\d\d-2019 \d\d:\d\d", row[1])
    assert re.fullmatch(r"\d+,\d\d", row[7]) or row[7] == ""
    assert (out / "handhaving_acties.csv").read_bytes().startswith(b"\xef\xbb\xbfZaaknummer,Datum,Buurt,")
    assert (out / "wijkakkoorden.csv").read_bytes().startswith(b"\xef\xbb\xbfJaar;Wijkraad;Prioriteit;")
    pol = pd.read_csv(out / "politie_misdrijven.csv", sep=";", dtype=str)
    assert list(pol.columns) == ["ID", "SoortMisdrijf", "Omschrijving misdrijf", "WijkenEnBuurten",
                                 "Perioden", "GeregistreerdeMisdrijven_1"]
    assert pol["Perioden"].str.fullmatch(r"20\d\dMM(0[1-9]|1[0-2])").all()
    assert pol["SoortMisdrijf"].nunique() == len(demo.CRIME_TYPES)
    iv = pd.read_csv(out / "interventie.csv", sep=";", dtype=str, keep_default_na=False)
    assert list(iv.columns) == ["Wijkraad", "Startdatum", "Uren per week"]
    assert (iv["Startdatum"] == "").sum() == len(c.truth["treatment"]["never_treated"])
    uren_sheets = _xlsx_head(out / "handhaving_uren.xlsx", 300)
    assert list(uren_sheets) == ["Inzet", "LEESMIJ"]
    uren = uren_sheets["Inzet"]
    assert list(uren.columns) == ["Wijkraad", "Week", "Inzet uren"]
    weeks = pd.to_datetime(uren["Week"], format="%d-%m-%Y")
    assert (weeks.dt.day_of_week == 0).all()
    assert uren["Inzet uren"].str.fullmatch(r"\d+,\d").all()
    assert uren_sheets["LEESMIJ"].columns[0] == demo.SYNTHETIC_NOTE
    wp = _xlsx_head(out / "wijkprofiel.xlsx", 50)["Veiligheidsindex"]
    assert list(wp.columns) == ["Editie", "Wijk", "Index", "Thema", "Deel", "Indicator", "Score",
                                "Aantal respondenten"]
    assert set(wp["Index"]) == {"veiligheid"}
    with zipfile.ZipFile(io.BytesIO((out / "wijkprofiel.xlsx").read_bytes())) as z:
        assert z.testzip() is None
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["synthetic"] is True and "SYNTHETISCHE DEMODATA" in truth["note"]
    assert truth["seed"] == SEED
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# SYNTHETISCHE DEMODATA")


def test_wijkprofiel_scale_and_respondents(city):
    wp = city.tables["wijkprofiel"]
    assert sorted(wp["editie"].unique()) == [2014, 2016, 2018, 2020, 2022, 2024]
    from wijklib import geo

    pop = geo.population("wijk", years=2014).set_index("wijk_code")["population"]
    sub = wp[(wp["editie"] == 2014) & (wp["thema"] == "veiligheidsindex") & (wp["deel"] == "objectief")]
    city_mean = np.average(sub["waarde"], weights=np.maximum(sub["wijk_code"].map(pop), 1))
    assert abs(city_mean - 100) < 1.5
    n = wp.loc[wp["deel"] == "subjectief", "n_respondenten"].dropna()
    assert n.median() >= 250 and n.max() <= 600


def test_committed_readme_matches_the_default_city():
    """The README in git is the one `make demo-data` writes (design depends on the seed only)."""
    committed = DEMO_RAW_DIR / "README.md"
    c = demo.simulate(seed=DEMO_SEED, scale=0.02)
    truth = dict(c.truth, scale=1.0)
    assert committed.read_text(encoding="utf-8") == demo.readme_text(truth)


def test_bad_scale_is_rejected(tmp_path):
    with pytest.raises(SystemExit):
        demo_main(["--out", str(tmp_path), "--scale", "0"])
    with pytest.raises(ValueError, match="scale"):
        demo.simulate(scale=-1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_full_city_size_and_speed(tmp_path):
    t0 = time.perf_counter()
    c = demo.generate(tmp_path, seed=DEMO_SEED, scale=1.0)
    elapsed = time.perf_counter() - t0
    n = len(c.tables["meldingen"])
    assert 200_000 <= n <= 400_000, n
    assert elapsed < 30, f"generation took {elapsed:.1f} s"
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == (DEMO_RAW_DIR / "README.md").read_text(
        encoding="utf-8")


def test_followup_and_compliance_effects_are_in_the_data(big_city):
    """Treated wards: follow-up time x0.75 and +0.10 compliance, against never-treated wards."""
    tr = big_city.truth["treatment"]
    start = {w: pd.Timestamp(f"{m}-01") for w, m in tr["start_month"].items()}
    wr = big_city.geography.set_index("buurt_code")["wijkraad_id"]

    m = big_city.tables["meldingen"]
    m = m[(m["status"] == "afgehandeld") & (m["categorie"] == "afval")]
    w = big_city.meta["meldingen_true_buurt"].reindex(m.index).map(wr)
    t0 = w.map(start)
    days = (m["afgehandeld"] - m["ontvangen"]).dt.total_seconds() / 86400
    treated_post = days[t0.notna() & (m["ontvangen"] >= t0)].median()
    treated_pre = days[t0.notna() & (m["ontvangen"] < t0)].median()
    assert 0.6 < treated_post / treated_pre < 0.9  # true 0.75 (ward mix differs a little)

    h = big_city.tables["handhaving"]
    h = h[h["actie"] == "controle"]
    w = h["buurt_code"].map(wr)
    t0 = w.map(start)
    comply = ~h["overtreding"]
    post_t = comply[t0.notna() & (h["datum"] >= t0)].mean()
    pre_t = comply[t0.notna() & (h["datum"] < t0)].mean()
    assert 0.05 < post_t - pre_t < 0.15  # true +0.10
    assert abs(comply[w.isin(tr["never_treated"])].mean() - 0.70) < 0.08
