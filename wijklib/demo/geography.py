"""``python -m wijklib.demo.geography``: rewrite the demo's schematic buurt kaart (see :mod:`._geography`)."""

from wijklib.demo._geography import write_buurt_kaart

if __name__ == "__main__":
    print(write_buurt_kaart())
