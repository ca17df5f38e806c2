"""Quality and facts per video: PSNR/SSIM and held-out frames (quality, heldout), container facts
and a video's row (facts), the Parquet schema (schema), writing and reading it (store), and the
summaries `rifeflow report` prints (report)."""
