"""The text front end shared by all engines: normalisation, readings, script routing.

Modules, one idea each:
  script       which writing system a span is in (Han, Latin, other)
  zh_numbers   Chinese readings of integers, decimals and digit strings
  zh_normalize dates, times, currency, percent, temperature and units -> Chinese words
  overrides    inline reading overrides: 字(chóng) and 字{chong2}
  userdict     a TOML dictionary of readings for names and terms
  pinyin       tone-mark/tone-digit syllables and their split into initial + final
  zh_frontend  a Chinese line -> readings, pauses and Latin spans, ready for an engine
  letters      letter names, for spelling Latin words inside Chinese lines
"""
