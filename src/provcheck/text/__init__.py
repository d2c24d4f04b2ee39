"""Words: normalising text, the vocabulary of object types and materials, makers, measurements and periods. The bottom layer: it imports no other part of provcheck but errors."""
