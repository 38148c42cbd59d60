"""The labour heat map 用工热图 (DESIGN §1 row 1): the Django shell around ``homeward.core.fusion``.

Adapters read the registries into the fusion's Arrow inputs; a rebuild (a ``django.tasks`` task,
enqueued on commit, after each import too) runs the fusion and stores the result compactly as a
snapshot (Parquet files under ``MEDIA_ROOT/heatmap/``); selectors answer every page and endpoint from
the latest snapshot, scoped by role, with small cells suppressed for roles without personal-data rights.
"""
