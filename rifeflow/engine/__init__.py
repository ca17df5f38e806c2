"""The model at work: weights found and verified (weights), IFNet loaded once per process and fed
frames in, frames out (stream). Runs where the model runs: the API's process and the workers."""
