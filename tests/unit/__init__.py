"""Unit tests of the pure static-mode core (no Pulumi, no cluster)."""
