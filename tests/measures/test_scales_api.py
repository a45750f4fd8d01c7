"""GET /scales and POST /scales/{code}/score (issue 2): listing, scoring, and refusals that
name the offending item."""

import pytest

CODES = ["phq9", "gad7", "madrs", "qids_sr16", "cssrs_screener"]


def test_scale_listing_shows_items_and_response_options_for_every_measurement_scale(
    api, prescriber
):
    response = api(prescriber).get("/scales")
    assert response.status_code == 200
    by_code = {s["code"]: s for s in response.json()}
    assert set(CODES) <= set(by_code)
    phq9 = by_code["phq9"]
    assert phq9["item_count"] == 9
    assert phq9["items"][8]["allowed_values"] == [0, 1, 2, 3]
    assert [o["value"] for o in phq9["items"][0]["options"]] == [0, 1, 2, 3]
    # Kroenke 2001 bands: 0-4, 5-9, 10-14, 15-19, 20-27.
    assert [(b["min_total"], b["max_total"]) for b in phq9["bands"]] == [
        (0, 4),
        (5, 9),
        (10, 14),
        (15, 19),
        (20, 27),
    ]


# Worked examples (arithmetic in the comment):
@pytest.mark.parametrize(
    ("code", "items", "total"),
    [
        ("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0], 8),  # 8 x 1 + 0 = 8
        ("gad7", [2, 2, 2, 2, 1, 1, 0], 10),  # 2+2+2+2+1+1+0 = 10
        ("madrs", [3] * 10, 30),  # 10 x 3 = 30
        # QIDS-SR16: max(sleep 1-4)=2 + 1 + max(6-9)=1 + 1 + 1 + 0 + 1 + 1 + max(15,16)=1 = 9
        ("qids_sr16", [2, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0], 9),
        ("cssrs_screener", [0, 0, None, None, None, 0], None),  # no total: a risk level
    ],
)
def test_each_scale_is_scored_by_the_core(api, prescriber, code, items, total):
    response = api(prescriber).post(f"/scales/{code}/score", {"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scale"] == code
    assert body["total"] == total
    assert body["severity"]["code"]


def test_phq9_item9_positive_is_flagged_in_the_score(api, prescriber):
    body = api(prescriber).post("/scales/phq9/score", {"items": [0] * 8 + [1]}).json()
    assert body["total"] == 1
    assert [f["code"] for f in body["flags"]] == ["phq9_item9_positive"]


def test_wrong_item_count_is_refused_naming_the_expected_count(api, prescriber):
    response = api(prescriber).post("/scales/phq9/score", {"items": [0] * 8})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "wrong_item_count"
    assert "9 items" in body["message"]


@pytest.mark.parametrize("bad", [4, -1, "2", 1.5, True])
def test_out_of_range_value_is_refused_naming_the_item(api, prescriber, bad):
    items = [0] * 9
    items[6] = bad
    response = api(prescriber).post("/scales/phq9/score", {"items": items})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "item_out_of_range"
    assert "item 7" in body["message"]
    assert body["details"]["items"] == [7]


def test_unknown_scale_is_refused(api, prescriber):
    response = api(prescriber).post("/scales/bdi2/score", {"items": [0]})
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_scale"


def test_front_desk_cannot_use_the_scoring_tool(api, frontdesk):
    assert api(frontdesk).post("/scales/phq9/score", {"items": [0] * 9}).status_code == 403
