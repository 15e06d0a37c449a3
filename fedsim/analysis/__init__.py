"""Post-run analysis: economic measures, coalition analysis."""
