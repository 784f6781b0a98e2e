"""The window's funnel tab: steps to define (`steps_editor`), bars to draw (`chart`) and the
tab that counts them and lists the visitors behind a bar (`view`)."""
