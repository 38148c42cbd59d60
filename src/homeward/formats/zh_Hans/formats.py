"""Number formats of the Chinese pages, over Django's zh_Hans ones (which it falls back to).

Django's zh_Hans locale groups digits by four with no separator, so ``intcomma`` wrote 1234567 on
the Chinese pages; mainland statistics write 1,234,567, as the English pages do.
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
