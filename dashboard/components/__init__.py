"""Pure component builders: data in, Dash components out."""
