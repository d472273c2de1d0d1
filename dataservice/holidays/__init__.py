"""China's statutory public holidays: which ones there are (statutory.py), when each falls in any
year with the official days off where they are published (occurrence.py), and which holiday a
citizen's words name (names.py)."""
