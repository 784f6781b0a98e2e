"""Analytics over cached sessions: the events index, heatmaps and funnels."""
