"""The heatmap of a page in the window and in PNG files: the page drawn offscreen as the
background (`background`, in a process of its own for the window: `background_process`),
the heatmap blended over it for files (`png`), and the window's view (`view`, `plot`)."""
