"""Knowledge of Chinese text every stage shares: tokens, normalisation, places (gazetteer), periods
(years, halves, result or plan) and measures.
"""
