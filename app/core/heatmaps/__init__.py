"""Heatmaps: clicks, mouse moves and scroll depth of every cached session, on the page.

* `extract`: a recording's points in page coordinates (viewport point + the page's scroll at
  that moment), one `PageVisit` per page a window showed at one viewport width;
* `store`: those visits as `page_points` rows (compact numpy blobs), written with the events
  index and backfilled for sessions cached before them;
* `collect`: the points of the sessions matching a `HeatmapQuery` (URL rule, device class,
  dates, any session filter);
* `grid`: binning and Gaussian smoothing in numpy, scroll maps, hot-spot lookups, CSV;
* `placement`: moving clicks onto their target element as the background page lays it out.

Element placement. rrweb records no layout, so where an element was when it was clicked is
not in the recording. Each click keeps the CSS selector of its target (as the events index
names it) and the viewport width it was made at. The renderer, which lays the background
page out in a browser engine anyway, measures the targets' boxes twice: at the click's
viewport width (the layout the visitor saw) and at the background's width. The click's
offset within the first box, as a fraction of its size, places it in the second
(`placement.place_clicks`); where a target is unknown or not found, or the point lies
outside its box, the click keeps its page point.
"""
