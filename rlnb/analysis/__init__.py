"rlnb.analysis: studies built from the algorithms: the method comparison and the ranking of advantage estimators."
