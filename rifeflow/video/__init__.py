"""Video files through PyAV: probe and decode (read), encode and mux the audio (write), lossless
frame chunks (chunks), output frame times (timeline), and the synthetic sample clip (sample).
Runs wherever frames are read or written: the API's process and the catalog's workers."""
