package sandbox

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestS3Objects drives the object calls a training job makes through the
// real SDK client, with credentials from the sandbox STS.
func TestS3Objects(t *testing.T) {
	srv, _, creds := s3Creds(t, Options{})
	ctx, c := t.Context(), s3Client(srv, staticCreds(creds))
	bucket := aws.String(DataBucket)

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err != nil {
		t.Fatalf("HeadBucket(%s): %v", DataBucket, err)
	}
	keys := []string{"runs/1/epoch 01+x=y&z~.pt", "runs/1/metrics.json", "runs/2/a//b/../c", "runs/3/ünïcode", "data/train.csv"}
	for i, k := range keys {
		body := strings.Repeat(string(rune('a'+i)), 100+i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(body),
			Metadata: map[string]string{"epoch": "1"}}); err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
		if err != nil {
			t.Fatalf("GetObject(%q): %v", k, err)
		}
		buf, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if string(buf) != body || got.Metadata["epoch"] != "1" {
			t.Errorf("GetObject(%q) = %q, metadata %v; want %q, epoch=1", k, buf, got.Metadata, body)
		}
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String(keys[1])})
	if err != nil || aws.ToInt64(head.ContentLength) != 101 {
		t.Fatalf("HeadObject = %+v, %v; want ContentLength 101", head, err)
	}

	ranged, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(keys[0]), Range: aws.String("bytes=2-5")})
	if err != nil {
		t.Fatalf("ranged GetObject: %v", err)
	}
	part, _ := io.ReadAll(ranged.Body)
	ranged.Body.Close()
	if string(part) != "aaaa" || aws.ToString(ranged.ContentRange) != "bytes 2-5/100" {
		t.Errorf("ranged GetObject = %q (%s); want aaaa (bytes 2-5/100)", part, aws.ToString(ranged.ContentRange))
	}

	var listed []string
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("runs/"), MaxKeys: aws.Int32(2)})
	for n := 0; pages.HasMorePages(); n++ {
		page, err := pages.NextPage(ctx)
		if err != nil || n > 5 {
			t.Fatalf("ListObjectsV2 page %d: %v", n, err)
		}
		for _, o := range page.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
	}
	want := slices.Clone(keys[:4])
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("ListObjectsV2(prefix runs/, 2 per page) = %q; want %q", listed, want)
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(keys[4])}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(keys[4])})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject after delete: %v; want NoSuchKey", err)
	}

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("checkpoints")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("checkpoints")}); err != nil {
		t.Errorf("HeadBucket(checkpoints): %v", err)
	}
}

// TestS3Multipart uploads three parts (5 MiB, 5 MiB, 1 MiB), and checks
// S3's 5 MiB minimum for all parts but the last, which gofakes3 alone does
// not enforce.
func TestS3Multipart(t *testing.T) {
	srv, _, creds := s3Creds(t, Options{})
	ctx, c := t.Context(), s3Client(srv, staticCreds(creds))
	bucket := aws.String(DataBucket)

	upload := func(key string, sizes ...int) (*string, []s3types.CompletedPart, []byte) {
		t.Helper()
		mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		var parts []s3types.CompletedPart
		var all []byte
		for i, size := range sizes {
			body := bytes.Repeat([]byte{byte('0' + i)}, size)
			all = append(all, body...)
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String(key), UploadId: mpu.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body)})
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			parts = append(parts, s3types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
		}
		return mpu.UploadId, parts, all
	}

	id, parts, want := upload("ckpt/model.pt", 5<<20, 5<<20, 1<<20)
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("ckpt/model.pt"),
		UploadId: id, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(done.ETag), `-3"`) {
		t.Errorf("ETag = %s; want a multipart ETag ending -3", aws.ToString(done.ETag))
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("ckpt/model.pt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	buf, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(buf, want) {
		t.Errorf("assembled object: %d bytes, want %d equal bytes", len(buf), len(want))
	}

	id, parts, _ = upload("ckpt/small.pt", 1<<20, 1<<20)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("ckpt/small.pt"),
		UploadId: id, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if code, status := apiError(err); code != "EntityTooSmall" || status != 400 {
		t.Errorf("Complete with a 1 MiB first part: %v; want EntityTooSmall, HTTP 400", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String("ckpt/small.pt"), UploadId: id}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("ckpt/small.pt"), UploadId: id,
		PartNumber: aws.Int32(3), Body: strings.NewReader("x")})
	var nsu *s3types.NoSuchUpload
	if code, _ := apiError(err); !errors.As(err, &nsu) && code != "NoSuchUpload" {
		t.Errorf("UploadPart after abort: %v; want NoSuchUpload", err)
	}
}
