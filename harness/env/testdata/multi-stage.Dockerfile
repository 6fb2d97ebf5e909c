ARG BASE_IMAGE=debian:trixie-slim
ARG PY
FROM ${BASE_IMAGE} AS build
RUN true
FROM build
FROM --platform=linux/amd64 python:${PY:-3.13}-slim
FROM scratch
FROM $BASE_IMAGE
