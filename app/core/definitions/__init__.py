"""Events defined after the fact: a name and a rule, found in all cached history."""
