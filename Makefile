# SPACE: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
FSDD   ?= ../shared/data/fsdd
SC     ?= ../shared/data/speech_commands
LEARNERS ?= ../shared/data/speechocean762_words
SC_V1  ?= ../shared/data/sc_v1_words
SO762  ?= ../shared/data/speechocean762_train
OUT    ?= out
# the phone net's fine-tuning on the learners' sentences (make models; docs/phones.md)
LEARNER_PHONES = --epochs 5 --lr 0.002 --noise-dir $(SC)/_background_noise_ \
  --snr 10,30 --p-noise 0.5

.PHONY: setup system-deps demo test test-fast fuzz models references bench lint clean \
  model-digits model-commands model-frames model-references model-digitseq model-phones \
  model-scorer

$(STAMP): pyproject.toml requirements.lock
	@echo "==> creating $(VENV) and installing pinned dependencies (first run: a few minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@# torch is pinned to its CPU build; requirements.lock pins everything else that was tested.
	@$(BIN)/pip install -q -c requirements.lock -e ".[all,dev]"
	@rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP)

# Debian tools the tests use to make speech and drive a browser; skipped (tests say so) when
# they cannot be installed.
system-deps:
	@missing=""; for t in espeak-ng:espeak-ng sox:sox chromium:chromium; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	  ldconfig -p 2>/dev/null | grep -q libportaudio || missing="$$missing libportaudio2"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; tests that need them will be skipped"; \
	  else echo "note: missing$$missing (install with apt); tests that need them will be skipped"; fi; \
	fi

demo: setup
	@mkdir -p $(OUT)
	@echo "==> recognising the bundled example clips with the bundled digits model"
	$(BIN)/space predict --model digits examples/
	@$(BIN)/space predict --model digits --json examples/ > $(OUT)/predictions.jsonl
	@echo "==> scoring the pronunciation of an example clip of 'three': its score, each sound's, what to work on"
	$(BIN)/space score --word three --plot $(OUT)/feedback_3.png examples/3_three_espeak_female.wav
	@echo "==> outputs: $(OUT)/predictions.jsonl, $(OUT)/feedback_3.png (pronunciation feedback)"
	@echo "==> live: '$(BIN)/space serve' starts the practice web app at http://127.0.0.1:8000/"
	@echo "    (record a word in the browser); '$(BIN)/space listen' recognises words from the microphone"

test: setup system-deps
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# Long property-based fuzzing of every decoder entry point (tests/test_fuzz.py): 300 random
# cases per property instead of make test's 8; prints the case count (also in $(OUT)/fuzz.txt).
fuzz: setup
	@mkdir -p $(OUT)
	SPACE_FUZZ=long SPACE_FUZZ_REPORT=$(OUT)/fuzz.txt $(BIN)/python -m pytest -q -s \
	  tests/test_fuzz.py

# Re-train the bundled models with the recipes quoted in the README's model cards.
# `make -j2 models` runs the stages that do not read each other's output side by side (each
# on one torch thread; MODEL_THREADS=N to choose); `make model-<name>` re-trains one model
# from the files the others left (model-digits, model-commands, model-frames,
# model-references, model-digitseq, model-phones, model-scorer). Minutes per stage: README,
# "Re-training the bundled models".
# digits and commands also train on every learner of $(LEARNERS) (README: Many voices;
# commands draws each learner clip 6 times per epoch, digits 3 times);
# commands takes a quarter of $(SC_V1)'s speakers as _unknown_ and the next quarter
# calibrates its default minimum probability.
MODEL_THREADS ?= $(if $(findstring -j,$(MAKEFLAGS)),1)
THREADS = $(if $(MODEL_THREADS),--threads $(MODEL_THREADS))
ONE_THREAD = $(if $(MODEL_THREADS),OMP_NUM_THREADS=$(MODEL_THREADS))
M := src/space/models
# With `models`, every stage waits for the stages whose output it reads; a single
# model-<name> uses what is there (and makes the build/ files it lacks).
ALL = $(filter models,$(MAKECMDGOALS))

models: model-frames model-scorer model-references model-phones model-digitseq \
  model-digits model-commands

# make -j2 picks among ready stages in no useful order, so `models` also runs them in two
# lanes (order-only prerequisites; measured 68 and 53 min: README, Re-training the bundled models):
#   frames -> references -> phone labels -> phones -> learner labels -> half 0 -> digitseq
#   digits -> commands -> half 1 -> scorer
ifneq ($(ALL),)
model-commands: | model-digits
build/phones_half1.pt: | model-commands
model-digitseq: | build/phones_half0.pt
endif

model-digits: setup
	$(BIN)/space train --data $(FSDD) --out $(M)/digits.pt \
	  --noise-dir $(SC)/_background_noise_ --snr 0,25 --p-noise 0.9 \
	  --no-specaugment --epochs 12 --copies 2 --vtlp 0.5 --add-learners $(LEARNERS) $(THREADS)
	@# The resumable <name>.last.pt files hold optimizer state; they are not shipped.
	rm -f $(M)/digits.last.pt

model-commands: setup
	$(BIN)/space train --data $(SC) --task 12 --out $(M)/commands.pt \
	  --noise-dir $(SC)/_background_noise_ --epochs 30 \
	  --add-learners $(LEARNERS) --learner-repeat 6 --add-unknown $(SC_V1) $(THREADS)
	rm -f $(M)/commands.last.pt

# Frame encoder for pronunciation scoring; the reference sets and the connected-digits model
# start from it.
model-frames: setup
	$(BIN)/space train-frames --speech-commands $(SC) --fsdd $(FSDD) \
	  --noise-dir $(SC)/_background_noise_ --epochs 12 --out $(M)/frames.pt $(THREADS)
	rm -f $(M)/frames.last.pt

model-references: setup $(if $(ALL),model-frames)
	$(ONE_THREAD) $(MAKE) --no-print-directory references

# Connected-digits frame model (README: connected words), from frames.pt's weights.
model-digitseq: setup $(if $(ALL),model-frames)
	$(BIN)/space train-sequence --fsdd $(FSDD) --speech-commands $(SC) \
	  --learners $(LEARNERS) --cache build/digitseq --epochs 75 \
	  --out $(M)/digitseq.pt $(THREADS)
	rm -f $(M)/digitseq.last.pt

# Phone model for the per-sound scores (docs/phones.md): PocketSphinx alignments of the
# shared clips and the bundled reference clips, then the phone encoder through the same loop.
build/phone_labels.json: $(if $(ALL),model-references) | setup
	mkdir -p build
	$(ONE_THREAD) $(BIN)/python -m space.training.phone_labels --shared $(dir $(FSDD)) --out $@

model-phones: setup build/phone_labels.json
	$(BIN)/space train-phones --labels build/phone_labels.json \
	  --noise-dir $(SC)/_background_noise_ --out $(M)/phones.pt $(THREADS)
	rm -f $(M)/phones.last.pt

# The learners' sentences: decoded audio and word/phone times (build/so762/align.json; the
# sentences PocketSphinx cannot align, about 385 of 2,500, are aligned with the committed
# phones_learners.pt, the previous build's: it aligns learners far closer to PocketSphinx
# than phones.pt. It is not a prerequisite, as model-scorer re-writes it and every build
# would then re-make the next; align.json is re-made with phones.pt); phones.pt fine-tuned on
# them twice, without speaker half 0 and without half 1: each gives the other half's
# held-out posteriors the scorer is fitted on, and the first ships as phones_learners.pt;
# then the scorer fitted on the experts' marks (docs/phones.md), and per-half scorers in
# build/ for the held-out benchmarks (SPACE_BENCH_HALVES=build). Each fine-tuning: 5.6 min
# of one CPU thread; the scorer fit (five MLPs per level) about 5 min. A newer phones.pt re-makes these build/ files.
build/so762/align.json: $(M)/phones.pt $(if $(ALL),model-phones) | setup
	$(ONE_THREAD) $(BIN)/python -m space.training.learner_labels --root $(SO762) --cache build/so762

build/phones_half%.pt: build/so762/align.json $(M)/phones.pt $(if $(ALL),model-phones) | setup
	$(BIN)/space train-phones --learners $(SO762) --learner-cache build/so762 \
	  --init $(M)/phones.pt --hold-out-half $* --out $@ $(LEARNER_PHONES) $(THREADS)

model-scorer: setup build/phones_half0.pt build/phones_half1.pt
	$(ONE_THREAD) $(BIN)/python -m space.training.scorer --root $(SO762) --cache build/so762 \
	  --learner-phones build/phones_half0.pt build/phones_half1.pt --phones build/phones_half0.pt \
	  --out $(M)/scorer.json --phones-out $(M)/phones_learners.pt --halves-out build

# Bundled pronunciation references: 5 medoids per word (fewer where the data has fewer:
# README, References) from the training speakers of FSDD
# (digits) and the Speech Commands subset (its words), calibrated with the frame encoder.
references: setup
	find src/space/references -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
	$(BIN)/space references build --data $(FSDD) --out src/space/references --per-word 5
	$(BIN)/space references build --data $(SC) --out src/space/references --per-word 5

bench: setup
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/accuracy.py

# ruff (style, imports, bugs) and mypy (types at module boundaries; settings in pyproject.toml).
lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
