"""The coordination meeting's pack (Rakor TPPS): build (build.py), render (render.py),
meetings and their actions (meetings.py)."""
