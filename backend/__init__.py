"""Backend of the counseling-practice platform: models, services and utilities (no Streamlit)."""
