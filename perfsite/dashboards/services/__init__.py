"""What the dashboards show, read as aggregates (GROUP BY in the database), never KPI by KPI.

- common: which cycles and departments a dashboard may show, and their filters;
- figures: the sums every dashboard draws from (progress, trends, statuses, completion,
  ratings), each in a fixed number of queries whatever the size of the company;
- executive, team, hr, mine: one dashboard each, assembled from those figures.
"""
