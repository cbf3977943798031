"""A small PyTorch training job that reads its data from S3 and writes its
checkpoints to S3, with boto3 used the ordinary way: it never handles
credentials itself, so it works with whatever the AWS SDK finds (environment
variables, a profile, or the container-credentials endpoint of `ptsaml run`).

  python3 train.py --make-dataset              # upload 64 synthetic shards
  python3 train.py --duration 300              # train for five minutes
  torchrun --nproc_per_node 2 train.py ...     # DDP over gloo, one process per rank

Each DataLoader worker makes its own S3 client (worker_init_fn) and fetches one
shard per item with GetObject. Rank 0 writes a checkpoint every
--checkpoint-every seconds with a multipart upload and reads the previous one
back (HeadObject + GetObject) to check it. Every rank prints one line
`PTSAML_TRAIN_SUMMARY {json}` at the end and exits 1 when any S3 call failed;
it gives up early when S3 calls have failed for --give-up-after seconds in a row.
On SIGTERM a rank prints `PTSAML_TRAIN_SIGTERM rank=N` and dies of the signal.

The S3 endpoint is taken from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when set
(boto3 before 1.28 ignores those variables, so it is passed explicitly).
"""
import argparse
import hashlib
import io
import json
import os
import signal
import sys
import time

HINT = ("install them with `apt-get install --no-install-recommends python3-torch python3-boto3 "
        "libopenblas0-pthread` (Debian/Ubuntu) and use /usr/bin/python3 on Debian, not a pyenv or venv python")
try:
    import boto3
    import botocore.exceptions
    import torch
    import torch.distributed as dist
    from boto3.exceptions import Boto3Error
    from boto3.s3.transfer import TransferConfig
    from torch.utils.data import DataLoader, Dataset, get_worker_info
    from torch.utils.data.distributed import DistributedSampler
except ImportError as e:
    sys.exit("train.py: %s (python %s at %s): %s" % (e, sys.version.split()[0], sys.executable, HINT))

FEATURES, CLASSES, ROWS_PER_SHARD = 32, 8, 256
MIB = 1024 * 1024
S3_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, Boto3Error)


def endpoint():
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


class S3:
    """One S3 client with call, failure and signing-key counters."""

    def __init__(self, who):
        self.who = who
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint())
        self.client.meta.events.register("before-send.s3", self._sent)
        self.calls = self.failures = self.requests = 0
        self.errors, self.keys = {}, set()
        self.last_ok = time.monotonic()
        self.failing_since = None

    def _sent(self, request, **_):
        self.requests += 1
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        if "Credential=" in auth:  # only a digest of the key id is kept
            self.keys.add(hashlib.sha256(auth.split("Credential=")[1].split("/")[0].encode()).hexdigest()[:12])

    def call(self, what, fn, *args, **kw):
        self.calls += 1
        try:
            out = fn(*args, **kw)
        except S3_ERRORS as e:
            self.failures += 1
            code = getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__
            if code == "S3UploadFailedError" and "(" in str(e):  # boto3 wraps the upload's ClientError
                code = str(e).split("(", 1)[1].split(")", 1)[0]
            self.errors[code] = self.errors.get(code, 0) + 1
            if self.failures <= 5 or self.failures % 100 == 0:
                print("train: %s: S3 %s failed (%d so far): %s" % (self.who, what, self.failures, e),
                      file=sys.stderr, flush=True)
            self.failing_since = self.failing_since or time.monotonic()
            return None
        self.failing_since = None
        return True if out is None else out  # None means failed

    def take(self):
        """Returns the counters and resets them (workers report deltas)."""
        d = {"calls": self.calls, "failures": self.failures, "requests": self.requests,
             "errors": self.errors, "keys": self.keys, "failing_since": self.failing_since}
        self.calls = self.failures = self.requests = 0
        self.errors, self.keys = {}, set()
        return d


class Shards(Dataset):
    """Item i is shard i: ROWS_PER_SHARD rows fetched from S3 by the worker."""

    def __init__(self, bucket, prefix, count):
        self.bucket, self.prefix, self.count, self.s3 = bucket, prefix, count, None

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if self.s3 is None:  # num_workers=0: the main process fetches
            self.s3 = S3("loader")
        key = "%s/data/shard-%05d.pt" % (self.prefix, i)
        obj = self.s3.call("GetObject " + key, self.s3.client.get_object, Bucket=self.bucket, Key=key)
        batch = None
        if obj is not None:
            batch = torch.load(io.BytesIO(obj["Body"].read()))
        else:
            time.sleep(0.2)  # do not spin on a failing endpoint
        return batch, self.s3.take()


def worker_init(_):
    get_worker_info().dataset.s3 = S3("loader worker %d" % get_worker_info().id)


def make_dataset(s3, args):
    g = torch.Generator().manual_seed(1234)
    teacher = torch.randn(FEATURES, CLASSES, generator=g)
    for i in range(args.shards):
        x = torch.randn(ROWS_PER_SHARD, FEATURES, generator=g)
        y = torch.argmax(torch.tanh(x @ teacher) + 0.1 * torch.randn(ROWS_PER_SHARD, CLASSES, generator=g), dim=1)
        buf = io.BytesIO()
        torch.save({"x": x, "y": y}, buf)
        s3.call("PutObject", s3.client.put_object, Bucket=args.bucket,
                Key="%s/data/shard-%05d.pt" % (args.prefix, i), Body=buf.getvalue())
    print("train: uploaded %d shards to s3://%s/%s/data/" % (args.shards, args.bucket, args.prefix), flush=True)


class Checkpoints:
    """Rank 0's checkpoints: multipart uploads, each one checked on the next write."""

    def __init__(self, s3, args):
        self.s3, self.args, self.prev, self.n = s3, args, None, 0
        self.transfer = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)

    def save(self, model, opt, step, loss):
        buf = io.BytesIO()
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "loss": loss}
        torch.save(state, buf)
        pad = max(0, self.args.checkpoint_min_mib * MIB - buf.tell())  # padding keeps uploads multipart
        if pad:
            state["padding"] = torch.zeros(pad, dtype=torch.uint8)
            buf = io.BytesIO()
            torch.save(state, buf)
        data = buf.getvalue()
        self.n += 1
        key = "%s/checkpoints/ckpt-%05d.pt" % (self.args.prefix, self.n)
        ok = self.s3.call("upload " + key, self.s3.client.upload_fileobj, io.BytesIO(data), self.args.bucket, key,
                          Config=self.transfer) is not None
        self.check_previous()
        if ok:
            self.prev = (key, len(data), hashlib.sha256(data).hexdigest(), step)

    def check_previous(self):
        if self.prev is None:
            return
        key, size, digest, step = self.prev
        head = self.s3.call("HeadObject " + key, self.s3.client.head_object, Bucket=self.args.bucket, Key=key)
        obj = self.s3.call("GetObject " + key, self.s3.client.get_object, Bucket=self.args.bucket, Key=key)
        if head is None or obj is None:
            return
        data = obj["Body"].read()
        got = torch.load(io.BytesIO(data))["step"]
        if head["ContentLength"] != size or hashlib.sha256(data).hexdigest() != digest or got != step:
            sys.exit("train: checkpoint %s read back differs from what was written" % key)


def on_sigterm(rank, main_pid):
    def handler(signum, _):
        if os.getpid() == main_pid:  # DataLoader workers inherit the handler: they stay quiet
            print("PTSAML_TRAIN_SIGTERM rank=%d pid=%d" % (rank, os.getpid()), flush=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    signal.signal(signal.SIGTERM, handler)


def train(args):
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    on_sigterm(rank, os.getpid())
    ddp = world > 1
    if ddp:
        dist.init_process_group("gloo")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(FEATURES, 128), torch.nn.ReLU(), torch.nn.Linear(128, CLASSES))
    if ddp:
        model = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = Shards(args.bucket, args.prefix, args.shards)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank) if ddp else None
    loader = DataLoader(data, batch_size=None, shuffle=sampler is None, sampler=sampler, num_workers=args.workers,
                        worker_init_fn=worker_init if args.workers else None, persistent_workers=args.workers > 0)
    s3 = S3("rank %d" % rank)
    ckpt = Checkpoints(s3, args) if rank == 0 else None
    totals = {"calls": 0, "failures": 0, "requests": 0, "errors": {}, "keys": set()}
    loader_failing_since = None
    steps, loss_first, loss_last, epoch = 0, None, None, 0
    start = time.monotonic()
    deadline, next_ckpt, next_log = start + args.duration, start + args.checkpoint_every, start + 10
    gave_up = stop = False
    print("train: rank %d/%d starting: %d shards, %d loader workers, %gs, endpoint %s, marker %s"
          % (rank, world, args.shards, args.workers, args.duration, endpoint() or "-", args.marker or "-"), flush=True)
    while not stop:
        if sampler is not None:
            sampler.set_epoch(epoch)
        epoch += 1
        for batch, stats in loader:
            for k in ("calls", "failures", "requests"):
                totals[k] += stats[k]
            for k, v in stats["errors"].items():
                totals["errors"][k] = totals["errors"].get(k, 0) + v
            totals["keys"] |= stats["keys"]
            loader_failing_since = stats["failing_since"] if batch is None else None
            now = time.monotonic()
            since = min(x for x in (loader_failing_since, s3.failing_since, now) if x is not None)
            give_up = now - since > args.give_up_after
            flags = torch.tensor([float(now >= deadline or give_up), float(batch is None)])
            if ddp:  # every rank steps, skips or stops together
                dist.all_reduce(flags, op=dist.ReduceOp.MAX)
            if flags[0] > 0:
                stop, gave_up = True, give_up
                break
            if flags[1] > 0:
                continue
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(batch["x"]), batch["y"])
            loss.backward()
            opt.step()
            steps += 1
            loss_last = loss.item()
            loss_first = loss_last if loss_first is None else loss_first
            if now >= next_log:
                print("train: rank %d step %d loss %.4f" % (rank, steps, loss_last), flush=True)
                next_log = now + 10
            if args.step_time:  # stands in for a heavier model: at most one step per step_time
                time.sleep(max(0.0, args.step_time - (time.monotonic() - now)))
            if ckpt is not None and now >= next_ckpt:
                ckpt.save(model, opt, steps, loss_last)
                next_ckpt = now + args.checkpoint_every
    if ckpt is not None and steps:
        ckpt.save(model, opt, steps, loss_last)
        ckpt.check_previous()
    if gave_up:
        print("train: rank %d: S3 calls kept failing for more than %gs; giving up" % (rank, args.give_up_after),
              file=sys.stderr, flush=True)
    mine = s3.take()
    summary = {
        "rank": rank, "world_size": world, "steps": steps,
        "s3_calls": totals["calls"] + mine["calls"], "s3_requests": totals["requests"] + mine["requests"],
        "s3_failures": totals["failures"] + mine["failures"],
        "s3_errors": {k: totals["errors"].get(k, 0) + mine["errors"].get(k, 0)
                      for k in set(totals["errors"]) | set(mine["errors"])},
        "access_keys": len(totals["keys"] | mine["keys"]), "checkpoints": ckpt.n if ckpt else 0,
        "loss_first": loss_first, "loss_last": loss_last, "seconds": round(time.monotonic() - start, 1),
        "gave_up": gave_up,
    }
    print("PTSAML_TRAIN_SUMMARY " + json.dumps(summary, sort_keys=True), flush=True)
    if ddp:
        dist.destroy_process_group()
    return 1 if summary["s3_failures"] else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bucket", default="ptsaml-data", help="S3 bucket of the dataset and the checkpoints")
    p.add_argument("--prefix", default="train-example", help="key prefix: PREFIX/data/ and PREFIX/checkpoints/")
    p.add_argument("--shards", type=int, default=64, help="dataset shards (%d rows each)" % ROWS_PER_SHARD)
    p.add_argument("--duration", type=float, default=60, help="train for this many seconds")
    p.add_argument("--checkpoint-every", type=float, default=30, help="seconds between checkpoints (rank 0)")
    p.add_argument("--checkpoint-min-mib", type=int, default=6, help="pad checkpoints to at least this size")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    p.add_argument("--step-time", type=float, default=0, help="make each step last at least this many seconds")
    p.add_argument("--give-up-after", type=float, default=30, help="stop when S3 fails this many seconds in a row")
    p.add_argument("--make-dataset", action="store_true", help="upload the synthetic dataset and exit")
    p.add_argument("--marker", default="", help="free text shown at start (lets tests find the processes)")
    args = p.parse_args()
    if args.make_dataset:
        s3 = S3("dataset")
        make_dataset(s3, args)
        return 1 if s3.failures else 0
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
