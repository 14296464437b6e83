"""``govsim`` commands beyond run/list/show/demo: one module per family of verbs."""
