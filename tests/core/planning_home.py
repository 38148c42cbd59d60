"""The home city of the planner's tests: Cixi, whose coaches are based at "cixi"."""

from homeward.core.planning import HomeCity, Point

HOME = HomeCity(
    name="慈溪 (Cixi)",
    point=Point(30.17, 121.27),
    province="330000",
    stations=("余姚北", "宁波"),
    base="cixi",
)
