"""The review workflow: a discovered company is a candidate until an analyst approves it."""
from __future__ import annotations

import shutil

import pytest

from dagster_project.approve_company import approve
from dagster_project.parsing import companies, reference
from dagster_project.settings import DBT_SEEDS_DIR
from tests.conftest import query

SENTENCE = "星晟传媒旗下目前拥有60多名员工,星晟传媒董事长王晨冰说。"


@pytest.fixture
def seeds_copy(tmp_path, monkeypatch):
    copy = tmp_path / "seeds"
    shutil.copytree(DBT_SEEDS_DIR, copy)
    monkeypatch.setattr(reference, "DBT_SEEDS_DIR", copy)
    companies.company_index.cache_clear()
    yield copy
    companies.company_index.cache_clear()


def test_a_candidate_becomes_a_dictionary_company_once_approved(seeds_copy):
    before = [(c.company, c.source) for c in companies.find_companies(SENTENCE)]
    assert ("星晟传媒", "discovered") in before

    approve("星晟传媒", "mcn", "中山市", ["星晟", "中山市星晟传媒有限公司"], seeds_dir=seeds_copy)
    companies.company_index.cache_clear()
    after = {(c.surface, c.company, c.source, c.company_type) for c in companies.find_companies(SENTENCE + "星晟的主播")}
    assert ("星晟传媒", "星晟传媒", "dictionary", "mcn") in after
    assert ("星晟", "星晟传媒", "dictionary", "mcn") in after


def test_approving_twice_or_with_an_unknown_type_is_refused(seeds_copy):
    with pytest.raises(ValueError, match="already"):
        approve("淘宝", "platform", seeds_dir=seeds_copy)
    with pytest.raises(ValueError, match="company type"):
        approve("某某科技", "startup", seeds_dir=seeds_copy)


def test_candidates_in_the_warehouse_are_only_companies_missing_from_the_dictionary(seed_warehouse):
    candidates = {r[0] for r in query(seed_warehouse, "select candidate from marts.company_candidates")}
    dictionary = {r[0] for r in query(seed_warehouse, "select alias from stg.stg_companies")}
    assert candidates and not candidates & dictionary
    assert "星晟传媒" in candidates
    example = query(seed_warehouse, "select n_mentions, example_sentence from marts.company_candidates "
                                    "where candidate = '星晟传媒'")[0]
    assert example[0] >= 2 and "星晟传媒" in example[1]
