"""Trust (DESIGN §2.4): trusted signers, signatures (DSSE envelopes over in-toto statements),
attached provenance, and the trust policy that pull and alias moves ask."""
