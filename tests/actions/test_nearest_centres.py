"""action_nearest_centres against the real data service: a shared place (a WeChat `location`
message, `/share_location{"latitude", "longitude"}`) gets the three nearest centres, in both
languages; unreadable coordinates and an outage get polite replies."""
from __future__ import annotations

import pytest

from actions.nearest_centres import ActionNearestCentres
from tests.actions.conftest import make_tracker, texts

pytestmark = pytest.mark.asyncio
PEOPLES_SQUARE = (31.2304, 121.4737)


def shared(lat, lon, lang: str = "zh"):
    entities = [{"entity": "latitude", "value": lat}, {"entity": "longitude", "value": lon}]
    return make_tracker(f'/share_location{{"latitude": {lat}, "longitude": {lon}}}',
                        intent="share_location", entities=entities, slots={"language": lang})


@pytest.mark.parametrize("lang,head,distance", [("zh", "离您最近的受理中心：", "公里）"),
                                                ("en", "The service centres nearest you:", " km)")])
async def test_the_three_nearest_centres_in_the_citizen_s_language(client, dispatcher, lang, head,
                                                                  distance):
    nearest = await client.nearest_centres(*PEOPLES_SQUARE, lang, limit=3)
    assert await ActionNearestCentres().run(dispatcher, shared(*PEOPLES_SQUARE, lang), {}) == []
    [text] = texts(dispatcher)
    assert text.startswith(head) and text.count(distance) == 3
    names = [c.name for c in nearest]
    assert len(names) == 3 and [text.index(n) for n in names] == sorted(text.index(n) for n in names)


@pytest.mark.parametrize("lat,lon", [(None, 121.47), ("north", 121.47), (95.0, 121.47),
                                     (31.2, float("nan"))])
async def test_unreadable_coordinates_ask_for_the_district(dispatcher, lat, lon):
    await ActionNearestCentres().run(dispatcher, shared(lat, lon), {})
    assert texts(dispatcher) == ["抱歉，没能读出这个位置，请告诉我您所在的区。"]


@pytest.mark.parametrize("lang,phrase", [("zh", "系统暂时无法查询"), ("en", "can't look that up")])
async def test_outage_is_a_polite_reply_with_12345(down_client, dispatcher, lang, phrase):
    await ActionNearestCentres().run(dispatcher, shared(*PEOPLES_SQUARE, lang), {})
    [text] = texts(dispatcher)
    assert phrase in text and "12345" in text
