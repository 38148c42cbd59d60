"""Letters home 家书: the letter template, the audience's origin filter, the channels and their pace.

Plain Python: a template is rendered per worker (``letter``), handed to a ``Channel`` in batches
(``channels``), paced by the channel's rate (``pacing``). The Django shell (``apps.letters``) chooses
the audience, stores one letter per worker × campaign and runs the batches.
"""
