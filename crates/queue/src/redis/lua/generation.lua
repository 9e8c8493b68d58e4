-- generation: the namespace's generation, created when missing.
return generation()
