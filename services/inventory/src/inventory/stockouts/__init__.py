"""Stock-outs: the runs of days items were out of stock (seen in the stock history or inferred) and what they lost."""
