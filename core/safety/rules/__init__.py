"""Crisis rules by family of meaning; ``core.safety.lexicon`` gathers them."""
