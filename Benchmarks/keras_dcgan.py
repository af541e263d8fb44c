#!/usr/bin/env python3
"""The plain Keras DCGAN that `genai train dcgan` is measured against (issue 16), on the real
Fashion-MNIST: the architecture and step of ../shared/bench/dcgan.py (Keras defaults everywhere:
Glorot-uniform kernels, zero biases, BatchNormalization momentum 0.8 / epsilon 1e-3, Adam 2e-4 with
beta_1 0.5, BCE from logits, batch 64, D then G updated each step), trained the way the Keras and
TensorFlow DCGAN tutorials train it: the 60,000 training images scaled to [-1, 1], reshuffled every
epoch, the last partial batch dropped (937 steps per epoch).

At each step in --snapshots it writes --samples generated images (G in inference mode, z ~ N(0, I)
from a fixed seed) as 28x28 grey PNGs into OUT/step-N/, plus an 8x8 grid OUT/step-N.png, and it
prints one JSON line per snapshot with the training seconds so far (sample writing excluded).
`genai eval --images OUT/step-N --data fashion-mnist` then scores them like any genai run.

    python Benchmarks/keras_dcgan.py --data ../shared/data/fashion-mnist --out /tmp/keras \
        --snapshots 937,4685 --samples 5000 --threads 2
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time
import zlib


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with train-images-idx3-ubyte.gz")
    p.add_argument("--out", required=True, help="folder for the samples")
    p.add_argument("--snapshots", default="937,4685", help="steps at which to write samples, comma-separated")
    p.add_argument("--samples", type=int, default=5000, help="images per snapshot")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        sys.exit(f"{path}: not an IDX image file (magic {magic}, expected 2051)")
    import numpy as np
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def png_bytes(pixels):
    """A grey 8-bit PNG of `pixels` (a 2-D uint8 numpy array)."""
    h, w = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def write_samples(images, folder, grid_path):
    """`images` [N, 28, 28] in [-1, 1] -> folder/00001.png ... and an 8x8 grid at 2x."""
    import numpy as np
    os.makedirs(folder, exist_ok=True)
    pixels = np.clip(np.rint((images + 1) * 127.5), 0, 255).astype(np.uint8)
    for i, im in enumerate(pixels):
        with open(os.path.join(folder, f"{i + 1:05d}.png"), "wb") as f:
            f.write(png_bytes(im))
    cells = pixels[:64]
    grid = np.zeros((8 * 30 + 2, 8 * 30 + 2), dtype=np.uint8)
    for i, im in enumerate(cells):
        r, c = divmod(i, 8)
        grid[2 + r * 30:2 + r * 30 + 28, 2 + c * 30:2 + c * 30 + 28] = im
    grid = grid.repeat(2, axis=0).repeat(2, axis=1)
    with open(grid_path, "wb") as f:
        f.write(png_bytes(grid))


def main():
    args = parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import tensorflow as tf
    import keras
    from keras import layers
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(args.seed)

    B, ZD, SLOPE = 64, 100, 0.2
    G = keras.Sequential([
        keras.Input((ZD,)),
        layers.Dense(7 * 7 * 128, use_bias=False),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(negative_slope=SLOPE),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(negative_slope=SLOPE),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(negative_slope=SLOPE),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    D = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=SLOPE),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=SLOPE),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ])
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    ones = tf.ones([B, 1])
    zeros = tf.zeros([B, 1])

    @tf.function
    def train_step(real):
        z = tf.random.normal([B, ZD])
        with tf.GradientTape() as g_tape:
            fake = G(z, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    d_loss = bce(ones, D(real, training=True)) + bce(zeros, D(tf.stop_gradient(fake), training=True))
                d_grads = d_tape.gradient(d_loss, D.trainable_variables)
                d_opt.apply_gradients(zip(d_grads, D.trainable_variables))
            g_loss = bce(ones, D(fake, training=True))
        g_grads = g_tape.gradient(g_loss, G.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, G.trainable_variables))
        return d_loss, g_loss

    images = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    data = ((images.astype(np.float32) - 127.5) / 127.5)[..., None]
    per_epoch = len(data) // B
    snapshots = sorted(int(s) for s in args.snapshots.split(","))
    rng = np.random.default_rng(args.seed)
    sample_z = np.random.default_rng(args.seed + 1).standard_normal((args.samples, ZD)).astype(np.float32)
    step, seconds = 0, 0.0
    order = rng.permutation(len(data))
    start = time.perf_counter()
    while step < snapshots[-1]:
        i = step % per_epoch
        if i == 0 and step > 0:
            order = rng.permutation(len(data))
        real = tf.constant(data[order[i * B:(i + 1) * B]])
        d_loss, g_loss = train_step(real)
        step += 1
        if step % 100 == 0:
            print(f"step {step} d_loss {float(d_loss):.4f} g_loss {float(g_loss):.4f}", file=sys.stderr, flush=True)
        if step in snapshots:
            float(g_loss)  # wait for the step to finish before reading the clock
            seconds += time.perf_counter() - start
            fakes = np.concatenate([G(sample_z[j:j + 500], training=False).numpy() for j in range(0, args.samples, 500)])
            write_samples(fakes[..., 0], os.path.join(args.out, f"step-{step}"), os.path.join(args.out, f"step-{step}.png"))
            print(json.dumps({"framework": f"keras {keras.__version__} / tensorflow {tf.__version__}", "step": step,
                              "epochs": step / per_epoch, "train_seconds": round(seconds, 2),
                              "steps_per_s": round(step / seconds, 3), "threads": args.threads,
                              "samples": os.path.join(args.out, f"step-{step}")}), flush=True)
            start = time.perf_counter()


if __name__ == "__main__":
    main()
