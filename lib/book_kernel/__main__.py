"""``python -m book_kernel``: install the encrypted ``python3`` kernel spec into this venv."""

from book_kernel import install

print(f"kernel spec: {install()}")
