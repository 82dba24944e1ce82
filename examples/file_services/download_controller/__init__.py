"""The download controller: serves DRS-style object records with presigned download URLs."""
