"""The Zalo Official Account channel (OA API v3): buttons, images and files, the 48-hour
messaging window, OAuth v4 tokens in the database."""
